"""CAMIoU, CAMSparsity and ERFDistance: known answers, errors, ranks, tools."""
import json
import os.path as osp
import runpy
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmseg.evaluation import IoUMetric

from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.registry import DATASETS, MODELS
from mmpretrain.structures import DataSample
from topgap_mm.analysis import load_classifier
from topgap_mm.cam import CAM_METHODS
from topgap_mm.evaluation.metrics import (CAMIoU, CAMSparsity, ERFDistance,
                                          erf_maps)
from topgap_mm.evaluation.metrics.erf_distance import GRID_3X3
from tool_runner import run_tool

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOPGAP_CONFIG = osp.join(ROOT, 'configs/topgap/resnet18_fashionbg_k16.py')
STANDARD_CONFIG = osp.join(ROOT, 'configs/standard/resnet18_fashionbg.py')


# Small forward passes: one torch thread (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('one_thread')


class PixelWeightedPool(nn.Module):
    """out = avg_pool_2x2(x * weight): output (r, c) depends only on input
    pixels (2r..2r+1, 2c..2c+1), with gradient weight / 4 per colour."""

    def __init__(self, weight: torch.Tensor):
        super().__init__()
        self.weight = nn.Parameter(weight)

    def forward(self, x):
        return (F.avg_pool2d(x * self.weight, 2), )


class HandCAMHead(nn.Module):
    """A Top-GAP-like head: fixed 1x1 conv to 4 class maps, mean pooling."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        weight = [[1., -1., .5], [-.5, 1., 1.], [1., 1., -1.], [0., .5, -1.]]
        with torch.no_grad():
            self.conv.weight.copy_(torch.tensor(weight)[..., None, None])
            self.conv.bias.zero_()

    def forward_cam(self, feats):
        return self.conv(feats[-1])

    def pool(self, cams):
        return cams.mean(dim=(2, 3))


class HandModel(nn.Module):
    """A classifier of known weights; its preprocessor maps uint8 RGB to
    [0, 1], so pixel space and model input coincide."""

    def __init__(self, size: int = 8, topgap: bool = False):
        super().__init__()
        self.data_preprocessor = ClsDataPreprocessor(
            mean=[0., 0., 0.], std=[255., 255., 255.], to_rgb=False)
        weight = torch.ones(size, size)
        mid = size // 2
        # Pixels of the centre output (mid // 2, mid // 2) weigh 2.
        weight[mid:mid + 2, mid:mid + 2] = 2.
        self.backbone = PixelWeightedPool(weight)
        if topgap:
            self.head = HandCAMHead()

    def extract_feat(self, x):
        return self.backbone(x)


def given_cams(model, inputs, target, data_samples):
    """A CAM method that returns the maps stored in the data samples."""
    return torch.stack([s.given_cam for s in data_samples]).to(inputs.device)


@pytest.fixture
def given_method(monkeypatch):
    monkeypatch.setitem(CAM_METHODS, 'given', given_cams)
    return 'given'


def make_batch(cams, masks=None, label=0):
    """A data batch and its data samples with the given maps and masks."""
    samples, inputs = [], []
    for i, cam in enumerate(cams):
        cam = torch.as_tensor(cam, dtype=torch.float32)
        sample = DataSample().set_gt_label(label)
        sample.set_field(cam, 'given_cam')
        if masks is not None:
            sample.set_field(
                torch.as_tensor(masks[i], dtype=torch.uint8),
                'gt_object_mask')
        samples.append(sample)
        inputs.append(torch.zeros((3, ) + tuple(cam.shape), dtype=torch.uint8))
    return dict(inputs=inputs, data_samples=samples), samples


def run_metric(metric, model, batches):
    metric.attach_model(model)
    for data_batch, samples in batches:
        metric.process(data_batch, samples)
    return metric.evaluate(sum(len(s) for _, s in batches))


# A 2x3 example computed by hand: object values 0.2, 0.6, 0.9, background
# values 0.0, 0.4, the pixel of value 1.0 is ignored.
HAND_CAM = [[0.0, 0.2, 0.6], [0.9, 1.0, 0.4]]
HAND_MASK = [[0, 1, 1], [1, 255, 0]]
HAND_THRESHOLDS = [0.0, 0.25, 0.5, 0.75, 1.0]
# IoU = TP / (all object pixels + FP) per threshold.
HAND_IOU = [3 / 5, 2 / 4, 2 / 3, 1 / 3, 0.]
# From t=1 down: recall 0, 1/3 (P 1), 2/3 (P 1), 2/3, 1 (P 3/5).
HAND_PXAP = 1 / 3 + 1 / 3 + 3 / 5 * 1 / 3


def test_iou_curve_and_pxap_by_hand(given_method, tmp_path):
    metric = CAMIoU(
        method=given_method,
        thresholds=HAND_THRESHOLDS,
        threshold=0.75,
        save_curve=str(tmp_path / 'curve.json'))
    metrics = run_metric(metric, HandModel(), [make_batch([HAND_CAM],
                                                          [HAND_MASK])])
    assert metrics['cam/pxap'] == pytest.approx(100 * HAND_PXAP)
    assert metrics['cam/best_threshold_on_this_split'] == 0.5
    assert metrics['cam/iou@best_threshold_on_this_split'] == pytest.approx(
        100 * 2 / 3)
    assert metrics['cam/best_val_thr'] == 0.75
    assert metrics['cam/iou@best_val_thr'] == pytest.approx(100 / 3)
    curve = json.load(open(tmp_path / 'curve.json'))
    assert curve['thresholds'] == HAND_THRESHOLDS
    assert curve['iou'] == pytest.approx([100 * v for v in HAND_IOU])
    assert curve['best_threshold'] == 0.5


def test_iou_agrees_with_mmseg_and_pxap_with_sklearn():
    from sklearn.metrics import average_precision_score
    gen = torch.Generator().manual_seed(0)
    cams = torch.rand(5, 12, 10, generator=gen)
    masks = (torch.rand(5, 12, 10, generator=gen) < 0.3).to(torch.uint8)
    masks[:, 0, :3] = 255
    thresholds = np.arange(101) / 100
    hists = [CAMIoU.histograms(c, m, thresholds) for c, m in zip(cams, masks)]
    curve = CAMIoU.calculate(
        sum(h[0] for h in hists), sum(h[1] for h in hists), thresholds)
    for b, t in enumerate(thresholds):
        areas = [
            IoUMetric.intersect_and_union((c >= t).long(), m.long(), 2, 255)
            for c, m in zip(cams, masks)
        ]
        totals = [sum(a[i] for a in areas) for i in range(4)]
        iou = IoUMetric.total_area_to_metrics(*totals, ['mIoU'])['IoU'][1]
        assert curve['iou'][b] == pytest.approx(100 * float(iou))
    keep = masks != 255
    scores = torch.bucketize(cams.double(), torch.tensor(thresholds),
                             right=True)
    expected = average_precision_score(masks[keep].numpy(),
                                       scores[keep].numpy())
    assert curve['pxap'] == pytest.approx(100 * expected)


def test_threshold_from_validation_is_applied_not_reoptimised(
        given_method, tmp_path):
    model, path = HandModel(), str(tmp_path / 'val_curve.json')
    # Validation split: its best threshold is 0.5.
    run_metric(
        CAMIoU(
            method=given_method,
            thresholds=HAND_THRESHOLDS,
            save_curve=path), model, [make_batch([HAND_CAM], [HAND_MASK])])
    assert json.load(open(path))['best_threshold'] == 0.5
    # Test split: all its object pixels are 0.3, so 0.25 would be its best.
    test_cam = [[0.3, 0.3, 0.6], [0.3, 0.0, 0.0]]
    test_mask = [[1, 1, 0], [1, 0, 0]]
    metrics = run_metric(
        CAMIoU(
            method=given_method,
            thresholds=HAND_THRESHOLDS,
            threshold_from=path), model, [make_batch([test_cam],
                                                     [test_mask])])
    assert metrics['cam/best_val_thr'] == 0.5
    assert metrics['cam/iou@best_val_thr'] == 0.0
    assert metrics['cam/best_threshold_on_this_split'] == 0.25
    assert metrics['cam/iou@best_threshold_on_this_split'] == pytest.approx(
        100 * 3 / 4)


def test_threshold_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match='not both'):
        CAMIoU(threshold=0.5, threshold_from='x.json')
    with pytest.raises(FileNotFoundError, match='save_curve'):
        CAMIoU(threshold_from=str(tmp_path / 'missing.json'))
    with pytest.raises(ValueError, match='strictly'):
        CAMIoU(thresholds=[0.5, 0.2])


def test_sparsity_by_hand(given_method):
    cams = [[[0., 1.], [1., 0.]], [[1., 1.], [1., 1.]], [[0., 0.], [0., .2]]]
    metrics = run_metric(
        CAMSparsity(method=given_method, max_samples=2), HandModel(),
        [make_batch(cams[:1]), make_batch(cams[1:])])
    # The cap keeps the first two images: (0.5 + 1) / 2.
    assert metrics == {'cam/l1': pytest.approx(0.75)}


def test_mask_metric_without_masks_names_field_and_datasets(given_method):
    metric = CAMIoU(method=given_method)
    metric.attach_model(HandModel())
    with pytest.raises(ValueError, match='gt_object_mask') as info:
        metric.process(*make_batch([HAND_CAM]))
    assert 'FashionBackgroundsDataset' in str(info.value)
    assert 'PackMaskedInputs' in str(info.value)


def test_cam_and_mask_shape_mismatch(given_method):
    metric = CAMIoU(method=given_method)
    metric.attach_model(HandModel())
    data_batch, samples = make_batch([np.zeros((4, 4))], [np.zeros((3, 5))])
    with pytest.raises(ValueError, match=r'\(4, 4\).*\(3, 5\)'):
        metric.process(data_batch, samples)


def test_non_binary_mask_is_rejected(given_method):
    metric = CAMIoU(method=given_method)
    metric.attach_model(HandModel())
    with pytest.raises(ValueError, match='binarise'):
        metric.process(*make_batch([HAND_CAM], [[[0, 128, 1], [1, 0, 0]]]))


def hand_erf(weight_center: float, weight_corner: float, size: int,
             zscore: bool):
    """ERF of centre and corner of :class:`HandModel`, by hand.

    Each output depends on 4 pixels x 3 colours, each with gradient w / 4.
    """
    g_center, g_corner, cells = weight_center / 4, weight_corner / 4, 12
    num = 2 * 3 * size * size
    if not zscore:
        return (cells * g_center / size**2, cells * g_corner / size**2)
    mean = cells * (g_center + g_corner) / num
    std = np.sqrt(cells * (g_center**2 + g_corner**2) / num - mean**2)
    outside = (3 * size * size - cells) * mean
    return ((cells * (g_center - mean) + outside) / std / size**2,
            (cells * (g_corner - mean) + outside) / std / size**2)


@pytest.mark.parametrize('normalize', ['none', 'zscore'])
def test_erf_by_hand(normalize):
    model = HandModel(size=8)
    images = torch.rand(3, 8, 8, 3).mul(255).to(torch.uint8)
    data_batch = dict(inputs=list(images.permute(0, 3, 1, 2)))
    samples = [DataSample().set_gt_label(0) for _ in range(3)]
    metric = ERFDistance(normalize=normalize, max_samples=2)
    metric.attach_model(model)
    with torch.no_grad():
        metric.process(data_batch, samples)
    metrics = metric.evaluate(3)
    center, corner = hand_erf(2., 1., 8, normalize == 'zscore')
    assert metrics['erf/center'] == pytest.approx(center, rel=1e-5)
    assert metrics['erf/corner'] == pytest.approx(corner, rel=1e-5)
    assert metrics['erf/distance'] == pytest.approx(center - corner, rel=1e-4)
    assert model.backbone.weight.grad is None


def test_erf_maps_grid_positions():
    model = HandModel(size=8)
    maps, cells, size = erf_maps(model, torch.rand(2, 3, 8, 8), GRID_3X3)
    assert size == (4, 4)
    assert cells[0] == (0, 0) and cells[4] == (2, 2) and cells[8] == (3, 3)
    assert maps.shape == (2, 9, 8, 8)
    # Output (3, 3) sees exactly pixels 6..7 x 6..7, each 3 colours x 1/4.
    expected = torch.zeros(8, 8)
    expected[6:, 6:] = 0.75
    torch.testing.assert_close(maps[1, 8], expected)


@pytest.fixture(scope='module')
def standard_model():
    return MODELS.build(Config.fromfile(STANDARD_CONFIG).model).eval()


def test_topgap_method_on_standard_model_is_a_type_error(standard_model):
    data_batch, samples = make_batch([np.zeros((32, 32))],
                                     [np.zeros((32, 32))])
    metric = CAMIoU(method='topgap')
    metric.attach_model(standard_model)
    with pytest.raises(TypeError, match='TopGAPClsHead'):
        metric.process(data_batch, samples)
    erf = ERFDistance(output='cam')
    erf.attach_model(standard_model)
    with pytest.raises(TypeError, match='TopGAPClsHead'):
        erf.process(data_batch, samples)


def test_cam_metrics_reuse_the_maps_of_the_test_forward_pass(monkeypatch):
    """With the native map the metrics read the CAMs the head kept in its
    outputs (no second forward pass) and get the numbers of a recompute."""
    cfg = Config.fromfile(TOPGAP_CONFIG)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    dataset = DATASETS.build(
        dict(
            type='FashionBackgroundsDataset',
            split='val',
            img_size=32,
            num_samples=6,
            pipeline=[dict(type='PackMaskedInputs')]))
    extract_feat = model.extract_feat

    def evaluate(reuse):
        metrics = [
            CAMIoU(threshold=0.3, max_samples=5),
            CAMSparsity(target='pred'),
            CAMSparsity(target='gt', prefix='gt')
        ]
        model.head.keep_cams = False
        for metric in metrics:
            metric.attach_model(model)
        assert model.head.keep_cams
        model.head.keep_cams = reuse
        batch = pseudo_collate([dataset[i] for i in range(6)])
        with torch.no_grad():
            outputs = [s.to_dict() for s in model.test_step(batch)]
        calls = []
        monkeypatch.setattr(
            model, 'extract_feat',
            lambda *args: calls.append(1) or extract_feat(*args))
        for metric in metrics:
            metric.process(batch, outputs)
        results = {}
        for metric in metrics:
            results.update(metric.evaluate(6))
        return results, outputs, calls

    kept, outputs, calls = evaluate(reuse=True)
    assert calls == []
    cam = outputs[0]['pred_cam']
    assert cam.shape == (8, 8)
    # A copy of one class's map, not a view of the whole batch's CAMs.
    assert cam.untyped_storage().nbytes() == cam.numel() * cam.element_size()
    recomputed, outputs, calls = evaluate(reuse=False)
    assert 'pred_cam' not in outputs[0] and len(calls) == 3
    assert set(kept) == set(recomputed)
    for key, value in recomputed.items():
        assert kept[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key


def test_erf_backbone_output_of_standard_model(standard_model):
    maps, cells, _ = erf_maps(standard_model, torch.rand(1, 3, 64, 64),
                              [('mid', 'mid'), (0, 0)])
    # ResNet-18's last map at 64x64 input is 2x2.
    assert cells == [(1, 1), (0, 0)]
    assert maps.shape == (1, 2, 64, 64)


# ---------------------------------------------------------------- ranks

NUM_SAMPLES = 9


def build_dist_case():
    """The model, batches of samples and metrics of the rank test."""
    torch.manual_seed(0)
    model = HandModel(size=16, topgap=True).eval()
    dataset = DATASETS.build(
        dict(
            type='FashionBackgroundsDataset',
            split='val',
            img_size=16,
            num_samples=NUM_SAMPLES,
            pipeline=[dict(type='PackMaskedInputs')]))
    metrics = [
        CAMIoU(method='topgap', threshold=0.4),
        CAMSparsity(method='topgap'),
        ERFDistance(max_samples=4)
    ]
    return model, dataset, metrics


def evaluate_indices(model, dataset, metrics, indices, batch_size=2):
    for metric in metrics:
        metric.attach_model(model)
    for start in range(0, len(indices), batch_size):
        batch = pseudo_collate(
            [dataset[i] for i in indices[start:start + batch_size]])
        with torch.no_grad():
            # As the Evaluator passes them: model outputs as dicts.
            outputs = [
                sample.to_dict() for sample in model.data_preprocessor(
                    batch, False)['data_samples']
            ]
            for metric in metrics:
                metric.process(batch, outputs)
    results = {}
    for metric in metrics:
        results.update(metric.evaluate(len(dataset)))
    return results


def dist_worker(rank, world_size, init_file, out_file):
    import torch.distributed as torch_dist
    torch.set_num_threads(1)
    # mmengine's init_dist('pytorch') calls torch.cuda.set_device, which
    # fails on machines without a GPU; the process group is what
    # mmengine.dist's collectives use.
    torch_dist.init_process_group(
        'gloo',
        init_method=f'file://{init_file}',
        rank=rank,
        world_size=world_size)
    model, dataset, metrics = build_dist_case()
    # DefaultSampler's split: interleaved, padded to a multiple of ranks.
    padded = list(range(NUM_SAMPLES)) + [0] * (-NUM_SAMPLES % world_size)
    results = evaluate_indices(model, dataset, metrics,
                               padded[rank::world_size])
    if rank == 0:
        with open(out_file, 'w') as f:
            json.dump(results, f)
    torch_dist.destroy_process_group()


def test_two_processes_give_the_numbers_of_one(tmp_path):
    import torch.multiprocessing as mp
    out_file = str(tmp_path / 'dist.json')
    # Forked workers inherit the imports, which take most of a spawn's time.
    mp.start_processes(
        dist_worker,
        args=(2, str(tmp_path / 'init'), out_file),
        nprocs=2,
        join=True,
        start_method='fork')
    distributed = json.load(open(out_file))
    single = evaluate_indices(*build_dist_case(), list(range(NUM_SAMPLES)))
    assert set(distributed) == set(single)
    for key, value in single.items():
        assert distributed[key] == pytest.approx(value, rel=1e-6), key


# ---------------------------------------------------------------- tools


SMALL_TEST_SET = [
    'test_dataloader.dataset.num_samples=16',
    'test_dataloader.dataset.img_size=32', 'model.head.k=4'
]


@pytest.fixture(scope='module')
def tiny_checkpoint(tmp_path_factory):
    """An untrained Top-GAP ResNet-18 (k=4), saved as tools/train.py would."""
    cfg = Config.fromfile(TOPGAP_CONFIG)
    cfg.model.head.k = 4
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    path = str(tmp_path_factory.mktemp('ckpt') / 'tiny.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def test_test_tool_with_interpretability_base_config(tiny_checkpoint,
                                                     tmp_path):
    config = tmp_path / 'interp.py'
    config.write_text(
        f"_base_ = [{TOPGAP_CONFIG!r},\n"
        f"          {osp.join(ROOT, 'configs/_base_/evaluation/interpretability.py')!r}]\n"  # noqa: E501
        "test_evaluator = [dict(type='Accuracy', topk=(1, )),\n"
        "                  *_base_.interpretability_metrics]\n")
    out = str(tmp_path / 'metrics.json')
    run_tool(
        'tools/test.py',
        str(config),
        tiny_checkpoint,
        '--work-dir',
        str(tmp_path),
        '--out',
        out,
        '--out-item',
        'metrics',
        '--cfg-options',
        *SMALL_TEST_SET,
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.batch_size=8',
        'test_evaluator.1.threshold=0.5',
        'test_evaluator.1.max_samples=16',
        'test_evaluator.3.max_samples=4',
        timeout=300,
        OMP_NUM_THREADS='1')
    metrics = json.load(open(out))
    for key in ('accuracy/top1', 'cam/pxap', 'cam/iou@best_val_thr',
                'cam/best_threshold_on_this_split', 'cam/l1', 'erf/center',
                'erf/corner', 'erf/distance'):
        assert np.isfinite(metrics[key]), key
    assert metrics['cam/best_val_thr'] == 0.5


def run_tool_main(monkeypatch, tool, *args):
    """Run a tool's main() in this process (imports are already paid)."""
    namespace = runpy.run_path(
        osp.join(ROOT, 'tools/analysis_tools', tool), run_name='tool')
    monkeypatch.setattr(sys, 'argv', [tool, *args])
    namespace['main']()


def test_erf_figure_matches_erf_distance(tiny_checkpoint, tmp_path,
                                         monkeypatch):
    out = str(tmp_path / 'erf.png')
    run_tool_main(monkeypatch, 'erf_figure.py', TOPGAP_CONFIG,
                  tiny_checkpoint, '--out', out, '--num-images', '4',
                  '--batch-size', '3', '--cfg-options', *SMALL_TEST_SET)
    assert osp.getsize(out) > 0
    record = json.load(open(tmp_path / 'erf.json'))
    assert record['output_size'] == [8, 8] and record['num_images'] == 4
    positions = [p['position'] for p in record['positions']]
    assert positions[::4] == [[0, 0], [4, 4], [7, 7]]
    # The figure's unnormalised centre and corner are Def. 6 on its images.
    model, cfg = load_classifier(TOPGAP_CONFIG, tiny_checkpoint,
                                 {'model.head.k': 4})
    dataset = DATASETS.build(
        dict(cfg.test_dataloader.dataset, num_samples=16, img_size=32))
    metric = ERFDistance(normalize='none')
    metric.attach_model(model)
    batch = pseudo_collate([dataset[i] for i in range(4)])
    metric.process(batch, batch['data_samples'])
    metrics = metric.evaluate(4)
    assert record['erf_center'] == pytest.approx(metrics['erf/center'])
    assert record['erf_corner'] == pytest.approx(metrics['erf/corner'])


def test_sparsity_vs_k_tool(tiny_checkpoint, tmp_path, monkeypatch):
    out = str(tmp_path / 'sparsity.png')
    run_tool_main(monkeypatch, 'sparsity_vs_k.py', '--run', TOPGAP_CONFIG,
                  tiny_checkpoint, '4', '--run', TOPGAP_CONFIG,
                  tiny_checkpoint, '0.25', '--out', out, '--num-images', '8',
                  '--cfg-options', *SMALL_TEST_SET)
    runs = json.load(open(tmp_path / 'sparsity.json'))['runs']
    # The CAM at 32x32 input is 8x8 (stride 4).
    assert [r['normalized_k'] for r in runs] == [4 / 64, 16 / 64]
    assert all(0 <= r['l1'] <= 1 and r['cam_size'] == [8, 8] for r in runs)
    replot = str(tmp_path / 'again.png')
    run_tool_main(monkeypatch, 'sparsity_vs_k.py', '--results',
                  str(tmp_path / 'sparsity.json'), '--out', replot)
    assert osp.getsize(replot) > 0


def test_pxap_counts_the_highest_thresholds_term():
    """A map that is exactly the mask (1.0 on the object, 0 elsewhere)
    gains all its recall at the highest threshold: PxAP without that
    threshold's term would be 0, with it it is 100."""
    from topgap_mm.evaluation.metrics.cam_iou import CAMIoU
    mask = torch.zeros(16, 16, dtype=torch.long)
    mask[4:10, 3:12] = 1
    metric = CAMIoU()
    obj, bg = CAMIoU.histograms(mask.float(), mask, metric.thresholds)
    curve = CAMIoU.calculate(obj, bg, metric.thresholds)
    assert curve['pxap'] == pytest.approx(100.0)
    assert np.nanmax(curve['iou']) == pytest.approx(100.0)
