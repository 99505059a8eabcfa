"""The study's HTML page: built from report.json and the runs' files with
no training, well-formed, every image it names on disk, honest verdicts,
the CAM gallery at the thresholds chosen on val, and rendered by a real
browser (headless Chromium) where one is installed."""
import json
import os
import os.path as osp
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
import torch
from PIL import Image
from tool_runner import ROOT, run_tool

from topgap_mm.analysis.loading import build_classifier, load_config
from topgap_mm.study import StudySpec, write_report
from topgap_mm.study.html_report import forest_panels
from topgap_mm.study.runner import write_config

TOPGAP = 'configs/topgap/resnet18_fashionbg_k16.py'
TWIN = 'configs/standard/resnet18_fashionbg.py'
# Tiny images and splits: the gallery's maps take a second on a CPU.
TINY = {
    f'{loader}_dataloader.{key}': value
    for loader in ('train', 'val', 'test')
    for key, value in (('dataset.img_size', 32), ('dataset.num_samples', 24),
                       ('num_workers', 0), ('persistent_workers', False))
}
TINY['img_size'] = 32
# Thresholds as if chosen on val, each run's own (distinct, so that a map
# binarised at another run's threshold would show).
THRESHOLDS = dict(topgap=0.37, twin=0.52, center_gaussian=0.61)

# Val accuracy per epoch: every Top-GAP run and twins 0 and 1 on a plateau;
# twin 2 still climbing when its schedule ended.
PLATEAU = [30.0, 70.0, 88.0, 91.0, 91.5, 91.2, 91.4, 91.3]
CLIMBING = [25.0, 35.0, 45.0, 55.0, 65.0, 75.0]


METRICS = [dict(type='Accuracy', topk=(1, )),
           dict(type='CAMIoU', method='auto', max_samples=24)]
# The pair's name is markup, which the page must show as text.
STUDY = dict(
    seeds=[0, 1, 2],
    pairs=[dict(name='r18<b>', topgap=TOPGAP, twin=TWIN)],
    regimes=dict(localisation=dict(cfg_options={})),
    selection_split='val',
    test_splits=['test_id'],
    topgap_metrics=METRICS,
    twin_metrics=METRICS,
    baselines=['center_gaussian', 'uniform'],
    cfg_options=dict(TINY, optim_wrapper=dict(type='AutocastOptimWrapper')))
#: What tools/study.py was given beside the config.
OPTIONS = " --cfg-options 'study.seeds=[0, 1, 2]'"


def study_spec() -> StudySpec:
    return StudySpec(STUDY, ROOT)


def fake_results(spec: StudySpec) -> dict:
    """Accuracy on which Top-GAP and the twin do not differ, a CAM IoU on
    which Top-GAP is ahead of both the twin and the maps that look at no
    image, a PxAP on which it is ahead of the twin only, and a twin whose
    seed 2 had not converged."""
    acc = dict(topgap=[90.0, 92.0, 91.0], twin=[91.0, 90.5, 91.5])
    iou = dict(topgap=[40.0, 44.0, 42.0], twin=[20.0, 21.0, 22.5])
    pxap = dict(topgap=[31.0, 41.0, 36.0], twin=[20.0, 21.0, 22.0])
    results = {}
    for run in spec.runs():
        curve = CLIMBING if (run.model, run.seed) == ('twin', 2) else PLATEAU
        test = {'accuracy/top1': acc[run.model][run.seed],
                'cam/iou@best_val_thr': iou[run.model][run.seed],
                'cam/pxap': pxap[run.model][run.seed]}
        if run.model == 'twin':
            test['baseline/center_gaussian/cam/iou@best_val_thr'] = 30.0
            test['baseline/uniform/cam/iou@best_val_thr'] = 15.0
            test['baseline/center_gaussian/cam/pxap'] = 38.0
            test['baseline/uniform/cam/pxap'] = 15.0
        results[run.name] = dict(
            val={'accuracy/top1': curve[-1]},
            test_id=test,
            training=dict(num_classes=4, val_samples=400, curves={
                'accuracy/top1': {str(e): v for e, v in enumerate(curve, 1)}
            }))
    return results


def fake_run_dirs(spec: StudySpec, work: str) -> None:
    """Seed 0's runs as the study leaves them, with untrained weights: the
    configs, a checkpoint and the val curves' thresholds."""
    for run in spec.runs():
        if run.seed != 0:
            continue
        run_dir = osp.join(work, run.name)
        os.makedirs(run_dir)
        train_cfg = write_config(
            osp.join(run_dir, 'train_config.py'), osp.join(ROOT, run.config),
            run.cfg_options, 'test')
        write_config(osp.join(run_dir, 'eval_test_id.py'), train_cfg,
                     {'test_dataloader.dataset.split': 'test_id'}, 'test')
        model = build_classifier(load_config(train_cfg), None)
        torch.save(dict(state_dict=model.state_dict(), meta={}),
                   osp.join(run_dir, 'epoch_1.pth'))
        with open(osp.join(run_dir, 'train_done.json'), 'w') as f:
            json.dump(dict(checkpoint='epoch_1.pth'), f)
        curves = dict(model=THRESHOLDS[run.model])
        if run.model == 'twin':
            curves['baseline_center_gaussian_cam'] = \
                THRESHOLDS['center_gaussian']
            curves['baseline_uniform_cam'] = 0.0
        for tag, threshold in curves.items():
            with open(osp.join(run_dir, f'cam_iou_curve_{tag}.json'),
                      'w') as f:
                json.dump(dict(best_threshold=threshold), f)


class PageParser(HTMLParser):
    """Checks that every element is closed in order, and collects the
    images, the text and the cells of the table columns with a class."""

    VOID = {'meta', 'img', 'br', 'hr', 'link', 'input'}

    def __init__(self):
        super().__init__()
        self.stack, self.images, self.text, self.errors = [], [], [], []
        self.cells = {}
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'img':
            self.images.append(attrs['src'])
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == 'td' and attrs.get('class'):
            self._cell = attrs['class']
            self.cells.setdefault(self._cell, []).append('')

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f'</{tag}> closes {self.stack[-1:]}')
        else:
            self.stack.pop()
        if tag == 'td':
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell:
            self.cells[self._cell][-1] += data


def parse(path) -> PageParser:
    parser = PageParser()
    with open(path) as f:
        parser.feed(f.read())
    parser.close()
    return parser


@pytest.fixture(scope='module')
def page(tmp_path_factory):
    work = str(tmp_path_factory.mktemp('study_html'))
    spec = study_spec()
    results = fake_results(spec)
    fake_run_dirs(spec, work)
    with open(osp.join(work, 'results.json'), 'w') as f:
        json.dump(results, f)
    report = write_report(spec, spec.runs(), results, work,
                          config='configs/studies/tiny.py', options=OPTIONS)
    return spec, work, report, parse(osp.join(work, 'report.html'))


def test_page_is_well_formed_and_every_image_exists(page):
    _, work, _, parsed = page
    assert not parsed.errors and not parsed.stack
    assert len(parsed.images) == 3  # forest plot, val curves, gallery
    for src in parsed.images:
        assert src.startswith('html/') and '://' not in src
        assert osp.getsize(osp.join(work, src)) > 1000


def test_user_strings_are_escaped(page):
    _, work, _, parsed = page
    html = open(osp.join(work, 'report.html')).read()
    # The pair's name is markup; it must reach the reader as text.
    assert 'r18<b>' not in html and 'r18&lt;b&gt;' in html
    assert 'localisation / r18<b>' in ''.join(parsed.text)


def test_forest_plot_rows_are_report_json_differences(page):
    _, _, report, parsed = page
    entry = report['regimes']['localisation']['r18<b>']
    panels = forest_panels(entry, 'test_id', 'r18<b>')
    assert [p['key'] for p in panels] == ['accuracy/top1',
                                          'cam/iou@best_val_thr', 'cam/pxap']
    iou = entry['splits']['test_id']['cam/iou@best_val_thr']
    row = panels[1]['rows'][0]
    assert (row['mean'], row['low'], row['high']) == (
        iou['difference']['mean'], iou['difference']['ci_low'],
        iou['difference']['ci_high'])
    # The model-free baselines sit where they are relative to the twin.
    assert {r['label']: r['value'] for r in panels[1]['references']} == {
        'center_gaussian - twin': pytest.approx(30.0 - iou['twin']['mean']),
        'uniform - twin': pytest.approx(15.0 - iou['twin']['mean'])}
    diff = iou['difference']
    assert (f'{diff["mean"]:.2f} [{diff["ci_low"]:.2f}, '
            f'{diff["ci_high"]:.2f}]') in parsed.cells['ci']


def test_verdicts_are_honest_about_zero_and_convergence(page):
    _, _, report, parsed = page
    text = ' '.join(' '.join(parsed.text).split())
    acc = report['regimes']['localisation']['r18<b>']['splits']['test_id'][
        'accuracy/top1']['difference']
    assert acc['ci_low'] < 0 < acc['ci_high']
    assert 'top-1 accuracy: no difference at the 5% level' in text
    assert ('CAM IoU: Top-GAP ahead at the 5% level, Top-GAP minus the twin '
            '20.83 points [16.13, 25.54] (95% CI, 3 seeds)') in text
    assert ('means: Top-GAP 42.00, twin 21.17, center_gaussian 30.00, '
            'uniform 15.00') in text
    # PxAP 36 [23.6, 48.4] is ahead of the twin's but not of the centre
    # Gaussian's 38, the same on every seed; CAM IoU 42 [37.0, 47.0] is
    # ahead of its 30.
    assert ('means: Top-GAP 36.00, twin 21.00, center_gaussian 38.00, '
            'uniform 15.00; not ahead of center_gaussian (38.00), a map '
            'that looks at no image, at the 5% level') in text
    assert text.count('not ahead of') == 1
    # Twin seed 2 was still climbing: every difference rests on it.
    assert acc['convergence'] == 'budget-bound'
    assert ('budget-bound: at least one run behind it had not converged, so '
            'it describes this training budget, not the models') in text
    assert 'every run behind it converged' not in text
    assert parsed.cells['verdict-budget-bound'] == ['budget-bound'] * 4


def test_gallery_draws_every_map_at_its_val_threshold(page):
    _, work, _, parsed = page
    text = ' '.join(parsed.text)
    assert 'r18<b> Top-GAP' in text and 'r18<b> twin gradcam' in text
    # Each map at the threshold its own run chose on val; the uniform map
    # shows nothing and is left out.
    assert parsed.cells['threshold'] == ['0.37', '0.52', '0.61']
    assert 'baseline_uniform' not in text
    assert 'best' in text and 'median' in text and 'worst' in text
    assert text.count('random') >= 3
    # The commands repeat the options the study was given.
    assert f'--work-dir {work}{OPTIONS} --report-only' in text.replace(
        '&#39;', "'")


def test_markdown_names_the_options_every_run_trained_with(page):
    _, work, report, _ = page
    # Nested options as --cfg-options writes them: the precision is read
    # in the report, not only in the runs' configs.
    assert report['run_options']['optim_wrapper.type'] == \
        'AutocastOptimWrapper'
    with open(osp.join(work, 'report.md')) as f:
        text = f.read()
    assert '`optim_wrapper.type=AutocastOptimWrapper`' in text
    assert '`train_dataloader.dataset.num_samples=24`' in text


def test_gallery_says_which_checkpoint_is_missing(page, tmp_path):
    spec, work, report, _ = page
    copy = str(tmp_path / 'moved')
    shutil.copytree(work, copy)
    twin = osp.join(copy, 'localisation', 'r18<b>', 'twin', 'seed0')
    os.remove(osp.join(twin, 'epoch_1.pth'))
    write_report(spec, spec.runs(), fake_results(spec), copy)
    parsed = parse(osp.join(copy, 'report.html'))
    text = ' '.join(parsed.text)
    assert f'checkpoint {twin}/epoch_1.pth is missing' in text
    assert parsed.cells['threshold'] == ['0.37']
    topgap = osp.join(copy, 'localisation', 'r18<b>', 'topgap', 'seed0')
    os.remove(osp.join(topgap, 'epoch_1.pth'))
    write_report(spec, spec.runs(), fake_results(spec), copy)
    parsed = parse(osp.join(copy, 'report.html'))
    assert 'whose run is missing: no gallery' in ' '.join(parsed.text)
    assert not any('gallery' in src for src in parsed.images)


def test_report_only_rebuilds_the_page_and_names_an_empty_work_dir(
        page, tmp_path):
    _, work, _, _ = page
    study = tmp_path / 'tiny_study.py'
    study.write_text(f'study = {STUDY!r}\n')
    copy = str(tmp_path / 'rebuilt')
    shutil.copytree(work, copy)
    os.remove(osp.join(copy, 'report.html'))
    run_tool('tools/study.py', str(study), '--work-dir', copy,
             '--report-only', '--no-gallery')
    parsed = parse(osp.join(copy, 'report.html'))
    assert str(study) in ' '.join(parsed.text)
    empty = tmp_path / 'empty'
    empty.mkdir()
    proc = run_tool('tools/study.py', str(study), '--work-dir', str(empty),
                    '--report-only', check=False)
    assert proc.returncode != 0
    assert f'Nothing to report in {empty}' in proc.stderr
    assert 'no finished run and no results.json' in proc.stderr


def test_chromium_renders_the_page(page, tmp_path):
    chromium = shutil.which('chromium')
    if chromium is None:
        pytest.skip('Chromium is not installed (Debian: apt-get install '
                    'chromium; .ci/run installs it as root): the page is '
                    'checked without a browser.')
    _, work, _, _ = page
    shot = tmp_path / 'page.png'
    proc = subprocess.run(
        [chromium, '--headless', '--no-sandbox', '--disable-gpu',
         f'--screenshot={shot}', '--window-size=1200,2400',
         'file://' + osp.join(work, 'report.html')],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    image = Image.open(shot).convert('RGB')
    assert image.size == (1200, 2400)
    # A page that rendered has text and figures: many colours, not a blank.
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 50
