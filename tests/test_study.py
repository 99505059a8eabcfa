"""The study tool: config checks, held-out selection, the report, and a
whole study end to end through the real tools at a tiny size."""
import copy
import glob
import json
import os
import os.path as osp

import pytest
from tool_runner import ROOT, run_tool

from topgap_mm.study import (Run, StudyRunner, StudySpec, build_report,
                             select_on_split)
from topgap_mm.study.report import render_markdown
from topgap_mm.study.runner import write_config

TOPGAP = 'configs/topgap/resnet18_fashionbg_k16.py'
TWIN = 'configs/standard/resnet18_fashionbg.py'
PAIR = dict(name='r18', topgap=TOPGAP, twin=TWIN)


def spec(**study):
    return StudySpec(dict(dict(pairs=[PAIR]), **study), ROOT)


def test_unknown_metric_is_named():
    with pytest.raises(KeyError, match=r"study.twin_metrics.*'CAMIOU'"):
        spec(twin_metrics=[dict(type='CAMIOU')])


def test_unknown_key_is_named():
    with pytest.raises(KeyError, match=r"\['sed'\]"):
        spec(sed=[0])


def test_selection_split_equal_to_a_test_split_is_refused():
    with pytest.raises(ValueError, match='`study.selection_split`'):
        spec(selection_split='test_id', test_splits=['test_id', 'test_ood'])


def test_twin_with_another_schedule_is_refused(tmp_path):
    other = tmp_path / 'twin_longer.py'
    other.write_text(f"_base_ = ['{osp.join(ROOT, TWIN)}']\n"
                     'train_cfg = dict(max_epochs=7)\n')
    with pytest.raises(ValueError, match="`train_cfg` differs"):
        StudySpec(dict(pairs=[dict(PAIR, twin=str(other))]), ROOT)


def test_twin_with_other_data_is_refused(tmp_path):
    other = tmp_path / 'twin_other_data.py'
    other.write_text(f"_base_ = ['{osp.join(ROOT, TWIN)}']\n"
                     'train_dataloader = dict(dataset=dict(correlation=0.5))'
                     '\n')
    with pytest.raises(ValueError, match="`train_dataloader` differs"):
        StudySpec(dict(pairs=[dict(PAIR, twin=str(other))]), ROOT)


def test_plan_has_every_seed_k_and_twin_once():
    s = spec(seeds=[3, 4], k_grid=[8, 16], regimes=dict(a={}, b={}))
    runs = s.runs()
    names = [r.name for r in runs]
    assert len(names) == len(set(names)) == 2 * 2 * (2 + 1)
    assert 'a/r18/topgap_k16/seed4' in names and 'b/r18/twin/seed3' in names
    k16 = next(r for r in runs if r.name == 'a/r18/topgap_k16/seed4')
    assert k16.cfg_options == {'randomness.seed': 4, 'model.head.k': 16}


def test_a_sweep_is_pairs_of_topgap_options_sharing_one_twin():
    """Variants of one Top-GAP config (k, pooling, the head's rate) as
    pairs: each Top-GAP run gets its pair's options, the twin trains once;
    options that would change more than the model are refused."""
    pairs = [dict(name='k64', topgap=TOPGAP, twin=TWIN),
             dict(name='k1', topgap=TOPGAP, twin=TWIN,
                  topgap_options={'model.head.k': 1}),
             dict(name='wildcat', topgap=TOPGAP, twin=TWIN,
                  topgap_options={'model.head.k': None,
                                  'model.head.pool': dict(
                                      type='WildcatPool', kmax=4)})]
    runs = spec(seeds=[0], pairs=pairs).runs()
    by_name = {r.name: r for r in runs}
    assert sorted(by_name) == ['default/k1/topgap/seed0',
                               'default/k64/topgap/seed0',
                               'default/k64/twin/seed0',
                               'default/wildcat/topgap/seed0']
    assert by_name['default/k1/topgap/seed0'].cfg_options == {
        'randomness.seed': 0, 'model.head.k': 1}
    assert by_name['default/k64/twin/seed0'].cfg_options == {
        'randomness.seed': 0}
    assert by_name['default/k64/twin/seed0'].shared_with == ('k1', 'wildcat')
    for options, match in [({'train_cfg.max_epochs': 9}, 'more than the'),
                           ([('model.head.k', 1)], 'must be a dict')]:
        with pytest.raises(ValueError, match=match):
            spec(pairs=[dict(PAIR, topgap_options=options)])
    for options in ({'model.head.k': 1}, {'model.head.pool': dict(
            type='CAMAvgPool')}):
        with pytest.raises(ValueError, match='give the pooling one way'):
            spec(k_grid=[4, 8], pairs=[dict(PAIR, topgap_options=options)])


def test_pairs_with_one_twin_config_train_it_once_and_both_read_it():
    # Two Top-GAP configs against the same twin: the twin of a regime and
    # seed is one deterministic training, so it runs once; each pair's
    # report must still compare with it, paired by seed.
    pairs = [dict(name='a', topgap=TOPGAP, twin=TWIN),
             dict(name='b', topgap=TOPGAP, twin=TWIN)]
    s = spec(seeds=[0, 1], pairs=pairs, test_splits=['test_id'],
             regimes=dict(r1={}, r2={}))
    runs = s.runs()
    twins = [r for r in runs if r.model == 'twin']
    assert sorted(r.name for r in twins) == [
        'r1/a/twin/seed0', 'r1/a/twin/seed1', 'r2/a/twin/seed0',
        'r2/a/twin/seed1']
    assert all(r.shared_with == ('b', ) for r in twins)
    assert len(runs) == 2 * (2 * 2 + 2)
    results = {}
    for run in runs:
        value = 10.0 * run.seed + (50.0 if run.pair == 'b' else 0.0) + (
            0.0 if run.model == 'twin' else 1.0)
        results[run.name] = dict(test_id={'accuracy/top1': value})
    report = build_report(s, runs, results)
    for regime in ('r1', 'r2'):
        a = report['regimes'][regime]['a']['splits']['test_id']
        b = report['regimes'][regime]['b']['splits']['test_id']
        assert a['accuracy/top1']['twin']['values'] == [0.0, 10.0]
        assert b['accuracy/top1']['twin']['values'] == [0.0, 10.0]
        assert a['accuracy/top1']['difference']['mean'] == 1.0
        assert b['accuracy/top1']['difference']['mean'] == 51.0
    # The report puts both Top-GAP models beside the one twin they share.
    side = render_markdown(report).split('## r1: all pairs side by side')[1]
    rows = side.split('## r1 / a')[0]
    assert '| a | 6.00 [-57.53, 69.53] |' in rows
    assert '| b | 56.00 [-7.53, 119.53] |' in rows
    assert rows.count('| twin | 5.00 [-58.53, 68.53] |') == 1
    # b is 50 above a in every seed: paired by seed, the difference has no
    # spread (unpaired, the seeds' spread would widen it to +-127).
    # Hand-made results keep no curves: the difference says so.
    assert '| b - a, **convergence unknown** | 50.00 [50.00, 50.00] |' \
        in rows
    assert report['regimes']['r1']['b']['splits']['test_id'][
        'accuracy/top1']['topgap']['seeds'] == [0, 1]


def test_selection_reads_only_the_selection_split():
    results = {
        8: dict(val={'accuracy/top1': 90.0}, test={'accuracy/top1': 10.0}),
        16: dict(val={'accuracy/top1': 80.0}, test={'accuracy/top1': 99.0}),
    }
    assert select_on_split(results, 'val', 'accuracy/top1') == 8
    poisoned = copy.deepcopy(results)
    poisoned[8]['test']['accuracy/top1'] = -1e9
    poisoned[16]['test'] = {}
    assert select_on_split(poisoned, 'val', 'accuracy/top1') == 8
    with pytest.raises(KeyError, match="select_k_by"):
        select_on_split(results, 'val', 'cam/pxap')


def test_selection_without_a_k_grid_takes_the_only_candidate():
    # Without a k grid the candidate is None, which must not read as
    # "nothing chosen".
    results = {None: dict(val={'accuracy/top1': 50.0})}
    assert select_on_split(results, 'val', 'accuracy/top1') is None


def test_twin_evaluator_scores_the_baselines_under_their_own_keys():
    s = spec(seeds=[0], baselines=['uniform', 'center_gaussian'],
             twin_metrics=[dict(type='Accuracy', topk=(1, )),
                           dict(type='CAMIoU', method='auto')])
    runner = StudyRunner(s, '/nonexistent', log=lambda _: None)
    twin = next(r for r in s.runs() if r.model == 'twin')
    metrics = runner.metrics_for(twin)
    assert [m.get('prefix') for m in metrics] == [
        None, None, 'baseline/uniform/cam', 'baseline/center_gaussian/cam'
    ]
    assert metrics[2]['method'] == 'uniform'
    topgap = next(r for r in s.runs() if r.model == 'topgap')
    assert all('prefix' not in m for m in runner.metrics_for(topgap))


def test_every_thresholded_metric_saves_its_curve_on_val_and_reads_it(
        tmp_path, monkeypatch):
    # CAM IoU and box accuracy binarise maps: each writes its own curve on
    # the selection split and reads that curve's threshold on the tests.
    metrics = [dict(type='Accuracy', topk=(1, )), dict(type='CAMIoU'),
               dict(type='CAMBoxAccuracy'), dict(type='CAMSparsity')]
    s = spec(seeds=[0], test_splits=['test_id'], topgap_metrics=metrics)
    runner = StudyRunner(s, str(tmp_path), log=lambda _: None)
    run = next(r for r in s.runs() if r.model == 'topgap')
    os.makedirs(runner.run_dir(run))
    write_config(osp.join(runner.run_dir(run), 'train_config.py'),
                 run.config, run.cfg_options, 'trained elsewhere')

    def fake_tool(*args, log_file):
        out = args[args.index('--out') + 1]
        with open(out, 'w') as f:
            json.dump({'accuracy/top1': 1.0}, f)

    monkeypatch.setattr(runner, '_tool', fake_tool)
    runner.evaluate(run, 'ckpt.pth')
    from mmengine.config import Config
    val = Config.fromfile(osp.join(runner.run_dir(run), 'eval_val.py'))
    test = Config.fromfile(osp.join(runner.run_dir(run), 'eval_test_id.py'))
    assert [m['type'] for m in val.test_evaluator] == [
        'Accuracy', 'CAMIoU', 'CAMBoxAccuracy']
    curves = {m['type']: m['save_curve'] for m in val.test_evaluator[1:]}
    assert osp.basename(curves['CAMIoU']) == 'cam_iou_curve_model.json'
    assert osp.basename(curves['CAMBoxAccuracy']) == \
        'box_acc_curve_model.json'
    read = {m['type']: m.get('threshold_from') for m in test.test_evaluator}
    assert read == dict(Accuracy=None, CAMIoU=curves['CAMIoU'],
                        CAMBoxAccuracy=curves['CAMBoxAccuracy'],
                        CAMSparsity=None)


def fake_results(s, poison_test=False):
    """Hand-made run results: k=8 wins on val; test numbers by seed."""
    results = {}
    for run in s.runs():
        val = 90.0 if run.k in (8, None) else 80.0
        test = {'accuracy/top1': 70.0 + run.seed + (5 if run.model ==
                                                    'topgap' else 0)}
        if poison_test and run.k == 16:
            test = {'accuracy/top1': 1000.0}
        results[run.name] = dict(
            val={'accuracy/top1': val}, test_id=test)
    return results


def test_report_statistics_and_choice_ignore_the_test_split():
    s = spec(seeds=[0, 1, 2], k_grid=[8, 16], test_splits=['test_id'])
    clean = build_report(s, s.runs(), fake_results(s))
    poisoned = build_report(s, s.runs(), fake_results(s, poison_test=True))
    for report in (clean, poisoned):
        entry = report['regimes']['default']['r18']
        assert entry['selected_k'] == {'0': 8, '1': 8, '2': 8}
        row = entry['splits']['test_id']['accuracy/top1']
        assert row['topgap']['values'] == [75.0, 76.0, 77.0]
        assert row['twin']['mean'] == 71.0
        # Paired by seed, the difference is exactly 5 with no spread.
        assert row['difference']['mean'] == 5.0
        assert row['difference']['std'] == 0.0


TINY = {
    'img_size': 32,
    'train_dataloader.dataset.img_size': 32,
    'train_dataloader.dataset.num_samples': 32,
    'train_dataloader.batch_size': 16,
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'val_dataloader.dataset.img_size': 32,
    'val_dataloader.dataset.num_samples': 24,
    'val_dataloader.num_workers': 0,
    'val_dataloader.persistent_workers': False,
    'test_dataloader.dataset.img_size': 32,
    'test_dataloader.dataset.num_samples': 24,
    'test_dataloader.num_workers': 0,
    'test_dataloader.persistent_workers': False,
    'train_cfg.max_epochs': 1,
    'param_scheduler': [],
}


@pytest.fixture(scope='module')
def tiny_study(tmp_path_factory):
    work = tmp_path_factory.mktemp('study')
    study = work / 'tiny_study.py'
    metrics = [dict(type='Accuracy', topk=(1, )),
               dict(type='CAMIoU', method='auto', max_samples=24)]
    study.write_text(
        f"study = dict(seeds=[0, 1], pairs=[dict(name='r18', "
        f"topgap='{TOPGAP}', twin='{TWIN}')], "
        "regimes=dict(localisation=dict(cfg_options={"
        "'train_dataloader.dataset.correlation': 0.25, "
        "'val_dataloader.dataset.correlation': 0.25, "
        "'test_dataloader.dataset.correlation': 0.25})), "
        "k_grid=[4], selection_split='val', test_splits=['test_id'], "
        f"topgap_metrics={metrics!r}, twin_metrics={metrics!r}, "
        f"baselines=['uniform'], cfg_options={TINY!r})\n")
    out = work / 'out'
    proc = run_tool('tools/study.py', str(study), '--work-dir', str(out),
                    timeout=1500)
    return study, out, proc.stdout


def test_tiny_study_end_to_end_writes_report(tiny_study):
    _, out, stdout = tiny_study
    assert '[study] run 4/4' in stdout and 'ETA' in stdout
    report = json.load(open(out / 'report.json'))
    rows = report['regimes']['localisation']['r18']['splits']['test_id']
    acc = rows['accuracy/top1']
    assert acc['topgap']['n'] == acc['twin']['n'] == 2
    assert acc['difference']['values'] == pytest.approx([
        a - b for a, b in zip(acc['topgap']['values'], acc['twin']['values'])
    ])
    # The uniform map marks the whole image at threshold 0: its IoU is the
    # objects' share of the test images, the same for any model.
    iou = rows['cam/iou@best_val_thr']
    assert 0 < iou['baselines']['uniform']['mean'] < 50
    # It looks at no image, so every twin seed gives the same number.
    assert iou['baselines']['uniform']['std'] == 0
    assert iou['baselines']['uniform']['n'] == 2
    assert (out / 'report.md').read_text().count('| acc. ') == 1
    # Each run's curve is judged with the noise of its own val split.
    results = json.load(open(out / 'results.json'))
    assert {r['training']['val_samples'] for r in results.values()} == {
        TINY['val_dataloader.dataset.num_samples']}
    # Each run kept the configs it was trained and evaluated with.
    run_dir = out / 'localisation' / 'r18' / 'topgap_k4' / 'seed1'
    assert 'randomness' in (run_dir / 'train_config.py').read_text()
    threshold = json.load(open(run_dir / 'cam_iou_curve_model.json'))
    assert 'best_threshold' in threshold
    assert "threshold_from" in (run_dir / 'eval_test_id.py').read_text()
    # The selection split ran the metrics the choices need, nothing else.
    twin_dir = out / 'localisation' / 'r18' / 'twin' / 'seed0'
    assert (twin_dir / 'cam_iou_curve_baseline_uniform_cam.json').is_file()
    val_keys = json.load(open(twin_dir / 'metrics_val.json'))
    assert 'baseline/uniform/cam/pxap' in val_keys


def test_rerun_study_trains_nothing_again(tiny_study):
    study, out, _ = tiny_study
    ckpts = sorted(
        p for p in (out / 'localisation').rglob('epoch_1.pth'))
    stamps = [os.stat(p).st_mtime_ns for p in ckpts]
    proc = run_tool('tools/study.py', str(study), '--work-dir', str(out))
    assert '4 already trained' in proc.stdout
    assert '(training)' not in proc.stdout
    assert [os.stat(p).st_mtime_ns for p in ckpts] == stamps
    dry = run_tool('tools/study.py', str(study), '--work-dir', str(out),
                   '--dry-run')
    assert dry.stdout.count(' trained ') == 4
    # A moved study reads its own checkpoints, not those at the old place.
    report = json.load(open(out / 'report.json'))
    moved = out.parent / 'moved'
    out.rename(moved)
    proc = run_tool('tools/study.py', str(study), '--work-dir', str(moved))
    assert '4 already trained' in proc.stdout
    assert json.load(open(moved / 'report.json')) == report


def test_local_executor_jobs_match_the_sequential_study(tiny_study):
    """Every run as a submitit job (the local executor stands in for
    Slurm): the same numbers as the study run here, and a study whose job
    died continues from the run's checkpoint."""
    study, sequential, _ = tiny_study
    if not sequential.exists():
        # test_rerun_study_trains_nothing_again moved it.
        sequential = sequential.parent / 'moved'
    out = sequential.parent / 'jobs'
    args = ['tools/study.py', str(study), '--work-dir', str(out),
            '--launcher', 'local', '--gpus-per-run', '0', '--cfg-options',
            'study.seeds=[0]']
    proc = run_tool(*args, timeout=1500)
    assert 'submitting 2 jobs (LocalExecutor)' in proc.stdout
    assert len(list((out / 'submitit').rglob('*_result.pkl'))) == 2
    for run in ('topgap_k4', 'twin'):
        ours = out / 'localisation' / 'r18' / run / 'seed0'
        theirs = sequential / 'localisation' / 'r18' / run / 'seed0'
        assert json.load(open(ours / 'metrics_test_id.json')) == json.load(
            open(theirs / 'metrics_test_id.json'))
    # A job killed after its last checkpoint, before it was evaluated.
    run_dir = out / 'localisation' / 'r18' / 'twin' / 'seed0'
    for name in ('train_done.json', 'metrics_test_id.json'):
        (run_dir / name).unlink()
    stamp = os.stat(run_dir / 'epoch_1.pth').st_mtime_ns
    proc = run_tool(*args, timeout=1500)
    assert 'submitting 1 jobs' in proc.stdout
    assert 'resumed epoch: 1' in (run_dir / 'train.log').read_text()
    assert os.stat(run_dir / 'epoch_1.pth').st_mtime_ns == stamp
    assert (run_dir / 'metrics_test_id.json').is_file()
    assert (out / 'report.md').is_file()


def test_cluster_arguments_are_checked(tmp_path):
    from topgap_mm.study.cluster import build_executor
    with pytest.raises(ValueError, match='needs --partition'):
        build_executor('slurm', str(tmp_path))
    with pytest.raises(ValueError, match='launcher must be one of'):
        build_executor('pbs', str(tmp_path))
    with pytest.raises(ValueError, match='time_limit'):
        build_executor('local', str(tmp_path), time_limit=0)
    proc = run_tool('tools/study.py', 'configs/studies/embedded.py',
                    '--launcher', 'slurm', check=False)
    assert proc.returncode == 2 and '--partition' in proc.stderr


def test_runner_names_a_failing_tool_and_its_log(tmp_path):
    s = spec(seeds=[0])
    runner = StudyRunner(s, str(tmp_path), log=lambda _: None)
    bad = Run('default', 'r18', 'topgap', 0, osp.join(ROOT, TOPGAP), None,
              {'model.head.k': -3})
    with pytest.raises(RuntimeError, match='train.log'):
        runner.train(bad)


CIFAR = dict(name='c', topgap='configs/topgap/preact-resnet18_cifar10_k128.py',
             twin='configs/standard/preact-resnet18_cifar10.py')


def test_a_val_loader_that_is_the_test_split_is_refused():
    # MMPretrain's CIFAR-10 configs validate on the test set: a study that
    # chose anything there would report it on the data it chose on.
    with pytest.raises(ValueError,
                       match="`val_dataloader`.*test split 'test'"):
        StudySpec(dict(pairs=[CIFAR], test_splits=['test']), ROOT)


def test_a_study_without_selection_split_must_choose_nothing():
    s = StudySpec(dict(pairs=[CIFAR], test_splits=['test'],
                       selection_split=None), ROOT)
    runner = StudyRunner(s, '/nonexistent', log=lambda _: None)
    assert s.selection_split is None and runner.spec.test_splits == ['test']
    with pytest.raises(ValueError, match='`study.selection_split` is None'):
        StudySpec(dict(pairs=[CIFAR], test_splits=['test'],
                       selection_split=None, k_grid=[64, 128]), ROOT)
    with pytest.raises(ValueError, match='CAMBoxAccuracy'):
        StudySpec(dict(pairs=[CIFAR], test_splits=['test'],
                       selection_split=None,
                       twin_metrics=[dict(type='CAMBoxAccuracy')]), ROOT)
    report = build_report(
        s, s.runs(),
        {r.name: dict(test={'accuracy/top1': 90.0 + r.seed})
         for r in s.runs()})
    row = report['regimes']['default']['c']['splits']['test'][
        'accuracy/top1']
    assert row['topgap']['values'] == [90.0, 91.0, 92.0]


def test_test_splits_may_be_other_datasets():
    sketch = dict(name='sketch', cfg_options={
        'test_dataloader.dataset.data_root': 'data/sketch'})
    s = spec(test_splits=['test_id', sketch])
    assert s.test_splits == ['test_id', 'sketch']
    assert s.test_options == {
        'test_id': {'test_dataloader.dataset.split': 'test_id'},
        'sketch': {'test_dataloader.dataset.data_root': 'data/sketch'},
    }
    with pytest.raises(ValueError, match=r'`study.test_splits\[1\]`'):
        spec(test_splits=['test_id', dict(name='x')])


@pytest.mark.parametrize('name', sorted(
    osp.splitext(osp.basename(p))[0]
    for p in glob.glob(osp.join(ROOT, 'configs', 'studies', '*.py'))))
def test_shipped_study_configs_plan_without_the_data(name):
    """Every shipped study checks and plans on a machine without its data
    (the dry run a user starts with)."""
    from topgap_mm.study import plan_lines
    s = StudySpec.fromfile(osp.join(ROOT, f'configs/studies/{name}.py'), ROOT)
    runner = StudyRunner(s, '/nonexistent', log=lambda _: None)
    runs = s.runs()
    lines = plan_lines(runner, runs, sec_per_iter=0.1)
    twin_configs = {pair['twin'] for pair in s.pairs}
    peers = sum(len(pair['peers']) for pair in s.pairs)
    assert len(runs) == len(s.regimes) * len(s.seeds) * (
        len(s.pairs) * len(s.k_grid or [None]) + len(twin_configs) + peers)
    assert 'iterations unknown' not in '\n'.join(lines)
    assert lines[-1].startswith('[study] at 0.1 s/iter')


def test_cub_dry_run_counts_the_training_split_less_the_held_out_val():
    from topgap_mm.study.plan import run_cost
    s = StudySpec.fromfile(osp.join(ROOT, 'configs/studies/cub.py'), ROOT)
    cost = run_cost(s.runs()[0], {})
    # 5994 official training images, 10% held out: 5395 of them train.
    assert cost['size'] == 5395 and 'held-out val' in cost['source']
    assert cost['iters'] == 100 * -(-5395 // 32)


def test_cub_study_end_to_end_on_the_official_layout(tmp_path):
    """The CUB study's pair on an official-layout CUB copy, shrunk: k is
    chosen on the held-out val carved from CUB's training split, and the
    report covers the test split."""
    from test_public_datasets import write_cub
    root = write_cub(str(tmp_path / 'CUB_200_2011'), per_class=4)
    options = {
        'model.backbone.init_cfg': None,  # no download of the weights
        'model.head.num_classes': 3,
        'data_preprocessor.num_classes': 3,
        'train_cfg.max_epochs': 1,
        'param_scheduler': [],
    }
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({
            f'{loader}.dataset.data_root': root,
            f'{loader}.batch_size': 3,
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False,
            f'{loader}.dataset.pipeline.3.scale': 72,
        })
    options['train_dataloader.dataset.pipeline.4.crop_size'] = 64
    options['val_dataloader.dataset.pipeline.4.crop_size'] = 64
    options['test_dataloader.dataset.pipeline.4.crop_size'] = 64
    metrics = [dict(type='Accuracy', topk=(1, )), dict(type='CAMIoU')]
    study = tmp_path / 'cub_tiny.py'
    study.write_text(
        "study = dict(seeds=[0], pairs=[dict(name='resnet18', "
        "topgap='configs/topgap/resnet18_cub_k256.py', "
        "twin='configs/standard/resnet18_cub.py')], k_grid=[8, 16], "
        "test_splits=['test'], baselines=['center_gaussian'], "
        f"topgap_metrics={metrics!r}, twin_metrics={metrics!r}, "
        f"cfg_options={options!r})\n")
    out = tmp_path / 'out'
    run_tool('tools/study.py', str(study), '--work-dir', str(out),
             timeout=1500)
    report = json.load(open(out / 'report.json'))
    entry = report['regimes']['default']['resnet18']
    assert entry['selected_k']['0'] in (8, 16)
    row = entry['splits']['test']['cam/iou@best_val_thr']
    assert row['topgap']['n'] == row['twin']['n'] == 1
    assert 'center_gaussian' in row['baselines']
    run_dir = out / 'default' / 'resnet18' / 'twin' / 'seed0'
    # The selection split was the val carved from the training split.
    log = (run_dir / 'eval.log').read_text()
    assert "split 'val' is 3 of the 6 samples" in log
    assert json.load(open(run_dir / 'metrics_test.json'))['accuracy/top1'] \
        >= 0


def test_a_split_is_evaluated_again_when_its_metrics_change(tmp_path):
    """A study continuing another's runs with more metrics (run_demo.sh
    `full` after the main job) must not report the new metrics for some
    runs only: the split whose evaluator changed is evaluated again, the
    others are reused, and a moved work dir reuses everything."""
    accuracy = dict(type='Accuracy', topk=(1, ))
    iou = dict(type='CAMIoU', method='auto', max_samples=8)

    def runner_for(work_dir, metrics):
        spec = StudySpec(dict(pairs=[PAIR], seeds=[0], selection_split='val',
                              test_splits=['test_id'],
                              topgap_metrics=metrics, twin_metrics=metrics),
                         ROOT)
        runner = StudyRunner(spec, str(work_dir), log=lambda _: None)
        calls = []

        def tool(*args, log_file):
            out = args[args.index('--out') + 1]
            # As tools/test.py: an existing --out only with --overwrite.
            assert not osp.exists(out) or '--overwrite' in args
            calls.append(osp.basename(out))
            with open(out, 'w') as f:
                json.dump({'accuracy/top1': 50.0}, f)

        runner._tool = tool
        return spec, runner, calls

    spec, runner, calls = runner_for(tmp_path / 'a', [accuracy, iou])
    run = next(r for r in spec.runs() if r.model == 'topgap')
    run_dir = runner.run_dir(run)
    os.makedirs(run_dir)
    write_config(osp.join(run_dir, 'train_config.py'),
                 osp.join(ROOT, TOPGAP), {}, 'test')
    runner.evaluate(run, 'ckpt.pth')
    assert calls == ['metrics_val.json', 'metrics_test_id.json']
    runner.evaluate(run, 'ckpt.pth')
    assert len(calls) == 2
    # One more test metric: val (accuracy and CAMIoU only) is reused.
    more = [accuracy, iou, dict(type='CAMSparsity', method='auto')]
    _, runner, calls = runner_for(tmp_path / 'a', more)
    runner.evaluate(run, 'ckpt.pth')
    assert calls == ['metrics_test_id.json']
    # The work dir moved: its evaluators name their paths relative to it.
    os.rename(tmp_path / 'a', tmp_path / 'b')
    _, runner, calls = runner_for(tmp_path / 'b', more)
    runner.evaluate(run, 'ckpt.pth')
    assert calls == []


def test_dataset_size_builds_each_distinct_val_split_once(monkeypatch):
    from topgap_mm.study import runner as runner_module
    built = []
    real_build = runner_module.DATASETS.build

    def counting_build(cfg):
        built.append(cfg['split'])
        return real_build(cfg)

    monkeypatch.setattr(runner_module.DATASETS, 'build', counting_build)
    runner = StudyRunner(spec(), '/nonexistent', log=lambda _: None)
    val = dict(type='FashionBackgroundsDataset', split='val',
               num_samples=24, img_size=32)
    test = dict(val, split='test_id', num_samples=40)
    assert [runner.dataset_size(c) for c in (val, dict(val), test)] == \
        [24, 24, 40]
    assert built == ['val', 'test_id']


def test_eta_counts_what_running_runs_lack_and_shares_the_rest_among_jobs():
    from topgap_mm.study.runner import remaining_seconds
    # The first of 3 runs started together ends at 600 s: the other two
    # are nearly done, and 4 runs wait for 3 places.
    assert remaining_seconds(600.0, [590.0, 580.0], 4, 3) == 810.0
    # A run slower than the mean lacks nothing; one place finishes alone.
    assert remaining_seconds(600.0, [700.0], 2, 1) == 1200.0
    assert remaining_seconds(600.0, [], 0, 2) == 0.0


def test_a_run_trained_with_another_config_stops_the_study(tmp_path,
                                                           monkeypatch):
    """A run found in the work dir is reused only if it was trained with
    the config the study gives it now: one trained at another learning
    rate would otherwise be reported as this study's."""
    from topgap_mm.study import plan_lines
    from topgap_mm.study.runner import REQUEST_FILE
    s = spec(seeds=[0], test_splits=['test_id'])
    runner = StudyRunner(s, str(tmp_path), log=lambda _: None)
    run = next(r for r in s.runs() if r.model == 'twin')
    run_dir = runner.run_dir(run)
    os.makedirs(run_dir)
    request = runner.check_trained_with(run)
    assert 'lr=0.2,' in request['config'] and request['train_args'] == []
    with open(osp.join(run_dir, REQUEST_FILE), 'w') as f:
        json.dump(dict(request, config=request['config'].replace(
            'lr=0.2,', 'lr=0.05,')), f)
    with open(osp.join(run_dir, 'train_done.json'), 'w') as f:
        json.dump(dict(checkpoint='epoch_12.pth'), f)
    open(osp.join(run_dir, 'epoch_12.pth'), 'w').close()
    calls = []
    monkeypatch.setattr(runner, '_tool', lambda *a, **k: calls.append(a))

    with pytest.raises(ValueError) as error:
        runner.execute()
    message = str(error.value)
    assert run_dir in message and 'another --work-dir' in message
    # The value that differs, named by its key.
    assert ('optim_wrapper.optimizer.lr: trained 0.05, the study now 0.2'
            in message)
    assert calls == []  # stopped before any run started
    plan = '\n'.join(plan_lines(runner, s.runs()))
    assert 'other config' in plan and '1 run(s) in the work dir' in plan

    # Trained with the same config, the run is reused as it is, also where
    # only the config's formatting differs.
    with open(osp.join(run_dir, REQUEST_FILE), 'w') as f:
        json.dump(dict(request, config=request['config'].replace(
            'lr=0.2,', 'lr=0.2000,')), f)
    assert runner.train(run) == osp.join(run_dir, 'epoch_12.pth')
    assert calls == []
    assert 'other config' not in '\n'.join(plan_lines(runner, s.runs()))

    # A run stopped before its first checkpoint left nothing to reuse: the
    # study's config replaces its request.
    os.remove(osp.join(run_dir, 'train_done.json'))
    with open(osp.join(run_dir, REQUEST_FILE), 'w') as f:
        json.dump(dict(request, train_args=['--amp']), f)
    assert runner.check_trained_with(run) == request


def test_a_run_trained_before_requests_were_kept_is_judged_by_its_dump(
        tmp_path):
    """A run without its request is judged by the config tools/train.py
    dumped beside it: the runtime keys and dataloader defaults it adds do
    not count, a value that trains another model does, even one that only
    the dump sets (the wrapper type that the schedule leaves at its
    default)."""
    from mmengine.config import Config
    s = spec(seeds=[0], test_splits=['test_id'])
    runner = StudyRunner(s, str(tmp_path), log=lambda _: None)
    run = next(r for r in s.runs() if r.model == 'topgap')
    os.makedirs(runner.run_dir(run))
    dump = osp.join(runner.run_dir(run), 'train_config.py')
    cfg = Config.fromstring(runner.check_trained_with(run)['config'], '.py')
    # What tools/train.py writes in the run's directory.
    cfg.merge_from_dict({
        'work_dir': runner.run_dir(run), 'resume': True, 'launcher': 'none',
        'train_dataloader.persistent_workers': True,
        'val_dataloader.collate_fn': dict(type='default_collate')})
    cfg.pop('auto_scale_lr')
    cfg.dump(dump)
    open(osp.join(runner.run_dir(run), 'last_checkpoint'), 'w').close()
    runner.check_trained_with(run)

    cfg.merge_from_dict({'optim_wrapper.type': 'AutocastOptimWrapper'})
    cfg.dump(dump)
    with pytest.raises(ValueError, match="optim_wrapper.type: trained "
                       "'AutocastOptimWrapper', the study now 'OptimWrapper'"):
        runner.check_trained_with(run)
    # The default named is the default left out: a float32 study's run
    # trained before the study named its wrapper.
    cfg.merge_from_dict({'optim_wrapper.type': 'OptimWrapper'})
    cfg.dump(dump)
    runner.check_trained_with(run)
