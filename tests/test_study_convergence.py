"""Convergence in the study: the criterion's verdicts on measured curves,
and a report that marks every difference resting on an unfinished run."""
import os.path as osp
import time

import pytest
from tool_runner import ROOT

from topgap_mm.study import StudySpec, build_report, write_report
from topgap_mm.study.convergence import (check_convergence_cfg,
                                         convergence_verdict)
from topgap_mm.study.report import render_markdown

PAIR = dict(
    name='r18',
    topgap='configs/topgap/resnet18_fashionbg_k16.py',
    twin='configs/standard/resnet18_fashionbg.py')

# Val accuracy per epoch of the embedded benchmark's ResNet-18 pair trained
# from scratch for 15 epochs (localisation regime, seed 0).
TWIN_15 = [29.8, 44.3, 52.5, 64.0, 77.8, 79.3, 85.5, 82.0, 90.0, 88.3, 91.5,
           90.3, 90.8, 90.3, 90.3]
TOPGAP_15 = [32.0, 81.5, 82.5, 89.0, 90.5, 90.8, 93.5, 93.8, 93.5, 94.5,
             94.5, 94.3, 94.3, 94.5, 94.5]


def test_the_measured_curves_get_the_verdicts_a_reader_would_give():
    assert convergence_verdict(TOPGAP_15, 4)['verdict'] == 'converged'
    assert convergence_verdict(TWIN_15, 4)['verdict'] == 'converged'
    # The same twin stopped after 3 or 6 epochs was still climbing.
    assert convergence_verdict(TWIN_15[:3], 4)['verdict'] == 'budget-bound'
    early = convergence_verdict(TWIN_15[:6], 4)
    assert early['verdict'] == 'budget-bound'
    # Least-squares slope of 52.5, 64.0, 77.8, 79.3: 47.1 / 5 points an
    # epoch.
    assert 'still rising 9.42 points per epoch' in early['reason']
    # Its epochs 11-14 (91.5, 90.3, 90.8, 90.3) move by up to 1.2 points:
    # noise on a plateau, not a climb; epochs 10-13 (88.3 to 91.5) climb.
    assert convergence_verdict(TWIN_15[:14], 4)['verdict'] == 'converged'
    assert convergence_verdict(TWIN_15[:13], 4)['verdict'] == 'budget-bound'
    assert abs(convergence_verdict(TWIN_15, 4)['slope'] + 0.05) < 1e-9


# The main job's runs (12 epochs, SGD lr 0.2, 400 val images) that a slope
# threshold of 0.5 alone called still rising: each jumped or dipped by 3-5
# points within its last 4 epochs and then stayed level.
TWIN_SEED1 = [24.25, 52.0, 72.0, 79.5, 85.0, 88.5, 88.25, 89.0, 90.25, 94.25,
              94.0, 94.0]
TOPGAP_SEED2 = [26.25, 26.25, 45.5, 47.25, 60.75, 69.75, 86.5, 91.0, 87.5,
                92.25, 92.25, 92.0]


def test_the_slope_is_judged_against_the_noise_of_the_val_split():
    for curve in (TWIN_SEED1, TOPGAP_SEED2):
        assert convergence_verdict(curve, 4)['verdict'] == 'budget-bound'
        judged = convergence_verdict(curve, 4, num_samples=400)
        assert judged['verdict'] == 'converged', judged
        assert '1.64 standard errors on 400 images' in judged['reason']
    # The standard error shrinks with the split: on 40,000 images the same
    # 1.1 points an epoch is a climb.
    assert convergence_verdict(TWIN_SEED1, 4, 40000)['verdict'] == \
        'budget-bound'
    # Binomial noise of 93% on 400 images (1.276 points) through the
    # least-squares slope of 4 epochs (divided by sqrt(5)), times 1.64.
    allowed = convergence_verdict([93.0] * 4, 4, 400)['max_slope']
    assert abs(allowed - (0.5 + 1.64 * 1.2757 / 5**0.5)) < 1e-3
    # A steady climb of 1.5 points an epoch is within the slope's noise on
    # 400 images, but leaves the window's mean 2.25 points below its end.
    climb = convergence_verdict([88, 89.5, 91, 92.5], 4, 400)
    assert climb['verdict'] == 'budget-bound'
    assert 'below its best' in climb['reason']
    # A climb far beyond the noise is named as one.
    early = convergence_verdict(TWIN_15[:6], 4, 400)
    assert 'still rising 9.42 points per epoch' in early['reason']
    with pytest.raises(ValueError, match='num_samples must be >= 1'):
        convergence_verdict(TWIN_15, 4, 0)


def test_a_curve_flat_at_chance_has_failed_not_converged():
    verdict = convergence_verdict([26.6, 25.0, 26.6, 26.6], 4)
    assert verdict['verdict'] == 'failed'
    assert 'chance (25.0)' in verdict['reason']
    # Flat, but 11 points above chance on 4 classes: a (poor) model.
    assert convergence_verdict([36] * 4, 4)['verdict'] == 'converged'
    # Chance depends on the class count: 30% on 200 classes is learning.
    assert convergence_verdict([29.5, 30, 30, 30], 200)['verdict'] == \
        'converged'


def test_a_run_that_fell_from_its_best_or_is_too_short_is_not_converged():
    fell = convergence_verdict([50, 92, 88, 88.5, 88.2], 4)
    assert fell['verdict'] == 'budget-bound'
    assert 'below its best' in fell['reason']
    assert convergence_verdict([90, 90], 4)['verdict'] == 'budget-bound'
    assert convergence_verdict([90, 90], 4, window=2)['verdict'] == \
        'converged'


def test_bad_criteria_are_named():
    with pytest.raises(KeyError, match=r"\['windw'\]"):
        check_convergence_cfg(dict(windw=3))
    with pytest.raises(ValueError, match='convergence.window'):
        check_convergence_cfg(dict(window=1))
    with pytest.raises(ValueError, match='convergence.tolerance'):
        check_convergence_cfg(dict(tolerance=-1))
    with pytest.raises(ValueError, match='convergence.max_slope'):
        check_convergence_cfg(dict(max_slope='0.5'))
    with pytest.raises(ValueError, match='convergence.z'):
        check_convergence_cfg(dict(z=-1))
    with pytest.raises(ValueError, match='rename the split'):
        StudySpec(dict(pairs=[PAIR], test_splits=['training']), ROOT)


def results_with_curves(s, curves, test_values, val_samples=None):
    """Results of every run: a training record with the given val curve
    (measured on ``val_samples`` images, unknown if None) and one test
    accuracy, by model and seed."""
    results = {}
    for run in s.runs():
        curve = curves[run.model][run.seed]
        results[run.name] = dict(
            val={'accuracy/top1': curve[-1]},
            test_id={'accuracy/top1': test_values[run.model][run.seed]},
            training=dict(
                num_classes=4,
                val_samples=val_samples,
                curves={'accuracy/top1': {
                    str(e): v for e, v in enumerate(curve, 1)}}))
    return results


def test_a_difference_from_an_unfinished_twin_is_marked_budget_bound(
        tmp_path):
    s = StudySpec(dict(pairs=[PAIR], seeds=[0, 1, 2],
                       test_splits=['test_id']), ROOT)
    curves = dict(topgap={seed: TOPGAP_15 for seed in range(3)},
                  twin={0: TWIN_15, 1: TWIN_15, 2: TWIN_15[:4]})
    values = dict(topgap={0: 94.0, 1: 95.0, 2: 93.0},
                  twin={0: 90.0, 1: 91.0, 2: 60.0})
    report = write_report(s, s.runs(), results_with_curves(s, curves, values),
                          str(tmp_path))
    entry = report['regimes']['default']['r18']
    assert entry['convergence']['twin']['2']['verdict'] == 'budget-bound'
    assert entry['convergence']['topgap']['0']['verdict'] == 'converged'
    diff = entry['splits']['test_id']['accuracy/top1']['difference']
    assert diff['convergence'] == 'budget-bound'
    md = render_markdown(report)
    assert '| Top-GAP - twin, **budget-bound** |' in md
    assert '| twin | 2 | 29.8 / 44.3 / 52.5 / 64.0 | budget-bound' in md
    assert osp.isfile(tmp_path / 'curves' / 'default_r18.png')
    assert '](curves/default_r18.png)' in md
    assert ('converged when the last 4 epochs\' val accuracy/top1 rises by '
            'at most 0.5 points per epoch plus 1.64 standard errors of that '
            'least-squares slope on the val split\'s images, and averages '
            'within 2 points of the run\'s best, which is at least '
            '10 points above chance') in md
    # Every run converged: the same difference carries no mark.
    curves['twin'][2] = TWIN_15
    report = build_report(s, s.runs(), results_with_curves(s, curves, values))
    md = render_markdown(report)
    assert '| Top-GAP - twin |' in md and ', **budget-bound**' not in md
    # A twin that jumped late is judged by the noise of its val split when
    # the training record has its size.
    curves['twin'][2] = TWIN_SEED1
    for val_samples, mark in ((None, 'budget-bound'), (400, 'converged')):
        report = build_report(s, s.runs(), results_with_curves(
            s, curves, values, val_samples))
        assert report['regimes']['default']['r18']['splits']['test_id'][
            'accuracy/top1']['difference']['convergence'] == mark


def test_two_models_at_chance_give_no_finding():
    # Both at chance, with identical test accuracies: the zero-width
    # interval "3.12 [3.12, 3.12]" is a failed training, not a finding.
    s = StudySpec(dict(pairs=[PAIR], seeds=[0, 1], test_splits=['test_id']),
                  ROOT)
    curves = dict(topgap={0: [25.0, 26.6], 1: [25.0, 26.6]},
                  twin={0: [25.0, 23.4], 1: [25.0, 23.4]})
    values = dict(topgap={0: 26.56, 1: 26.56}, twin={0: 23.44, 1: 23.44})
    md = render_markdown(build_report(
        s, s.runs(), results_with_curves(s, curves, values)))
    assert '| Top-GAP - twin, **failed** | 3.12 [3.12, 3.12] |' in md


def test_runs_without_a_training_record_are_not_taken_as_converged():
    s = StudySpec(dict(pairs=[PAIR], seeds=[0, 1], test_splits=['test_id']),
                  ROOT)
    results = {
        run.name: dict(test_id={'accuracy/top1': 90.0 + run.seed})
        for run in s.runs()
    }
    md = render_markdown(build_report(s, s.runs(), results))
    assert '| Top-GAP - twin, **convergence unknown** |' in md


def test_jobs_carry_out_runs_at_the_same_time_with_their_threads(tmp_path):
    import threading

    from topgap_mm.study import StudyRunner
    s = StudySpec(dict(pairs=[PAIR], seeds=[0, 1], test_splits=['test_id']),
                  ROOT)
    runner = StudyRunner(s, str(tmp_path), jobs=2, threads=1,
                         log=lambda _: None)
    # Two runs must be in flight together for both to pass the barrier;
    # one at a time, the first would wait out the timeout and fail.
    barrier = threading.Barrier(2, timeout=20)

    def train(run):
        barrier.wait()
        return 'ckpt.pth'

    runner.train = train
    runner.evaluate = lambda run, ckpt: dict(test_id={'accuracy/top1': 1.0})
    runner.training_record = lambda run: {}
    results = runner.execute()
    assert sorted(results) == sorted(r.name for r in s.runs())
    assert (tmp_path / 'results.json').is_file()
    # Each run's processes get its share of the threads.
    log = tmp_path / 'env.log'
    runner._tool('-c', 'import os; print(os.environ["OMP_NUM_THREADS"])',
                 log_file=str(log))
    assert log.read_text().strip() == '1'


def test_a_failed_run_stops_a_parallel_study_with_its_error(tmp_path):
    from topgap_mm.study import StudyRunner
    s = StudySpec(dict(pairs=[PAIR], seeds=[0, 1, 2],
                       test_splits=['test_id']), ROOT)
    runner = StudyRunner(s, str(tmp_path), jobs=2, log=lambda _: None)
    started = []

    def train(run):
        started.append(run.name)
        if len(started) == 1:
            raise RuntimeError('tools/train.py failed (exit 1)')
        time.sleep(0.5)
        return 'ckpt.pth'

    runner.train = train
    runner.evaluate = lambda run, ckpt: dict(test_id={'accuracy/top1': 1.0})
    runner.training_record = lambda run: {}
    with pytest.raises(RuntimeError, match='tools/train.py failed'):
        runner.execute()
    # The failure is reported before the study goes through its other runs.
    assert len(started) < len(s.runs())


def test_runs_in_threads_write_their_configs_together(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from mmengine.config import Config

    from topgap_mm.study.runner import write_config
    base = osp.join(ROOT, PAIR['topgap'])

    def write(seed):
        path = str(tmp_path / f'seed{seed}.py')
        write_config(path, base, {'randomness.seed': seed}, 'test')
        return Config.fromfile(path).randomness.seed

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(write, range(8))) == list(range(8))
