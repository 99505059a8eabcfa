"""A study's peers: another design (B-cos) beside Top-GAP and its twin,
trained on the same data with its own recipe, reported with differences
paired by seed against both."""
import pytest
from test_study_convergence import TOPGAP_15, TWIN_15, results_with_curves
from tool_runner import ROOT

from topgap_mm.study import StudyRunner, StudySpec, build_report
from topgap_mm.study.html_report import forest_panels
from topgap_mm.study.report import render_markdown
from topgap_mm.study.verdicts import question_verdicts

BCOS = 'configs/bcos/bcos_resnet18_fashionbg.py'
PAIR = dict(
    name='r18',
    topgap='configs/topgap/resnet18_fashionbg_k16.py',
    twin='configs/standard/resnet18_fashionbg.py',
    peers=dict(bcos=BCOS))


def spec(pair=PAIR, **study):
    return StudySpec(
        dict(dict(pairs=[pair], seeds=[0, 1, 2], test_splits=['test_id']),
             **study), ROOT)


def test_a_peer_with_its_own_recipe_is_accepted_and_planned_last():
    # B-cos differs from Top-GAP in optimiser (Adam) and preprocessing (no
    # mean/std), which a twin may not; a peer may.
    s = spec()
    assert [(r.model, r.seed) for r in s.runs()] == [
        ('topgap', 0), ('topgap', 1), ('topgap', 2), ('twin', 0),
        ('twin', 1), ('twin', 2), ('bcos', 0), ('bcos', 1), ('bcos', 2)]
    assert s.runs()[-1].name == 'default/r18/bcos/seed2'
    assert s.runs()[-1].config.endswith(BCOS)
    with pytest.raises(ValueError, match='twin'):
        spec(dict(PAIR, twin=BCOS))


def test_a_peer_on_other_data_or_epochs_is_refused(tmp_path):
    other = tmp_path / 'bcos_other.py'
    for option, key in (("train_cfg = dict(max_epochs=13)", 'train_cfg'),
                        ("train_dataloader = dict(dataset=dict(correlation="
                         "0.5))", 'train_dataloader')):
        other.write_text(f"_base_ = ['{ROOT}/{BCOS}']\n{option}\n")
        with pytest.raises(ValueError,
                           match=f"Peer 'r18.bcos': `{key}` differs"):
            spec(dict(PAIR, peers=dict(bcos=str(other))))


@pytest.mark.parametrize('peers, error, match', [
    (dict(twin=BCOS), ValueError, r'pairs\[0\]\.peers` must map'),
    (dict(bcos='configs/bcos/none.py'), FileNotFoundError,
     r'pairs\[0\]\.peers\.bcos`: config'),
    ([BCOS], ValueError, r'pairs\[0\]\.peers` must map'),
])
def test_bad_peers_are_named(peers, error, match):
    with pytest.raises(error, match=match):
        spec(dict(PAIR, peers=peers))


def test_a_peer_is_scored_by_peer_metrics_without_the_baselines():
    metrics = [dict(type='Accuracy', topk=(1, )),
               dict(type='CAMIoU', method='auto')]
    s = spec(twin_metrics=metrics, baselines=['uniform'])
    runner = StudyRunner(s, '/nonexistent', log=lambda _: None)
    bcos = s.runs()[-1]
    # By default the twin's metrics, each reading the peer's own map.
    assert runner.metrics_for(bcos) == metrics
    assert len(runner.metrics_for(s.runs()[3])) == 3
    only = [dict(type='Accuracy', topk=(1, ))]
    s = spec(twin_metrics=metrics, peer_metrics=only)
    assert StudyRunner(s, '/x').metrics_for(s.runs()[-1]) == only


def test_peer_rows_are_paired_by_seed_against_top_gap_and_the_twin():
    s = spec()
    curves = dict(topgap={seed: TOPGAP_15 for seed in range(3)},
                  twin={0: TWIN_15, 1: TWIN_15, 2: TWIN_15[:4]},
                  bcos={seed: TOPGAP_15 for seed in range(3)})
    values = dict(topgap={0: 94.0, 1: 95.0, 2: 93.0},
                  twin={0: 90.0, 1: 91.0, 2: 60.0},
                  bcos={0: 96.0, 1: 96.0, 2: 96.5})
    report = build_report(s, s.runs(), results_with_curves(s, curves, values))
    entry = report['regimes']['default']['r18']
    assert entry['convergence']['bcos']['1']['verdict'] == 'converged'
    row = entry['splits']['test_id']['accuracy/top1']
    assert row['peers']['bcos']['mean'] == pytest.approx(96.1666667)
    ahead, over_twin = (row['peer_differences']['bcos'][side]
                        for side in ('topgap', 'twin'))
    # Top-GAP minus B-cos, seed by seed: -2, -1, -3.5.
    assert ahead['mean'] == pytest.approx(-6.5 / 3)
    assert ahead['values'] == [-2.0, -1.0, -3.5]
    # B-cos minus the twin: 6, 5, 36.5; seed 2's twin had not converged.
    assert over_twin['values'] == [6.0, 5.0, 36.5]
    assert ahead['convergence'] == 'converged'
    assert over_twin['convergence'] == 'budget-bound'
    # A peer that had not converged marks its own differences only.
    curves['bcos'][0] = TWIN_15[:4]
    row = build_report(s, s.runs(), results_with_curves(s, curves, values))[
        'regimes']['default']['r18']['splits']['test_id']['accuracy/top1']
    assert row['difference']['convergence'] == 'budget-bound'
    assert row['peer_differences']['bcos']['topgap']['convergence'] == \
        'budget-bound'
    curves['twin'][2] = TWIN_15
    row = build_report(s, s.runs(), results_with_curves(s, curves, values))[
        'regimes']['default']['r18']['splits']['test_id']['accuracy/top1']
    assert row['difference']['convergence'] == 'converged'
    md = render_markdown(report)
    assert '| bcos | 96.17 [' in md
    assert '| Top-GAP - bcos | -2.17 [' in md
    assert '| bcos - twin, **budget-bound** | 15.83 [' in md
    assert '| bcos | 1 | 32.0 / 81.5' in md
    labels = [r['label'] for p in forest_panels(entry, 'test_id', 'r18')
              for r in p['rows']]
    assert labels == ['Top-GAP - twin', 'Top-GAP - bcos', 'bcos - twin']
    findings = [f['text'] for v in question_verdicts(
        entry, 'test_id', 0.95, 'r18') for f in v['findings']]
    assert ('top-1 accuracy: no difference at the 5% level, Top-GAP minus '
            'bcos -2.17 points [-5.29, 0.96] (95% CI, 3 seeds); means: '
            'Top-GAP 94.00, twin 80.33, bcos 96.17') in findings


def test_the_gallery_draws_each_peer_with_its_own_map_and_val_threshold():
    from topgap_mm.study.gallery import map_sources
    iou = [dict(type='CAMIoU', method='auto')]
    s = spec(topgap_metrics=iou, twin_metrics=iou,
             baselines=['center_gaussian', 'uniform'])
    sources = map_sources(s, s.runs(), 'default', {}, 1,
                          lambda run: f'/w/{run.name}')
    assert [(m.label, m.run.name, m.method) for m in sources] == [
        ('r18 Top-GAP', 'default/r18/topgap/seed1', 'auto'),
        ('r18 bcos', 'default/r18/bcos/seed1', 'auto'),
        ('r18 twin', 'default/r18/twin/seed1', 'auto'),
        ('center_gaussian', 'default/r18/twin/seed1', 'center_gaussian')]
    assert sources[1].curve_file == \
        '/w/default/r18/bcos/seed1/cam_iou_curve_model.json'
