"""Robustness metrics, the gradient-masking audit and corruptions."""
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate

from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.structures import DataSample
from topgap_mm.datasets.fashion_backgrounds import FashionBackgroundsDataset
from topgap_mm.evaluation.robustness import (AttackDistance, AuditConfig,
                                             RobustAccuracy, run_audit,
                                             smooth_topgap_backward)
from topgap_mm.evaluation.robustness.attacks import (build_attack, fgsm,
                                                     input_gradient, pgd)
from topgap_mm.evaluation.robustness.corruptions import (ApplyCorruption,
                                                         corrupt_bgr)
from topgap_mm.models import PixelSpaceModel, to_pixel_space
from topgap_mm.models.heads.topgap_head import TopGAPClsHead

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
EPS = 8 / 255
SIZE = 24
MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]


class TinyClassifier(nn.Module):
    """A small MLP with the interface PixelSpaceModel needs."""

    def __init__(self, quantize: bool = False):
        super().__init__()
        self.data_preprocessor = ClsDataPreprocessor(
            mean=MEAN, std=STD, to_rgb=True)
        self.quantize = quantize
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(3 * SIZE * SIZE, 128), nn.ReLU(),
            nn.Linear(128, 4))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if self.quantize:
            # Round the pixels to 8 levels: the gradient of round is 0, the
            # textbook gradient-masking "defence".
            mean = self.data_preprocessor.mean
            std = self.data_preprocessor.std
            pixels = (inputs * std + mean) / 255
            inputs = (torch.round(pixels * 7) / 7 * 255 - mean) / std
        return self.net(inputs)


def dataset(split, num, size=SIZE, **kwargs):
    return FashionBackgroundsDataset(
        split=split, img_size=size, num_samples=num,
        pipeline=[dict(type='PackMaskedInputs')], **kwargs)


def pixel_batch(data, model):
    batch = pseudo_collate([data[i] for i in range(len(data))])
    labels = torch.cat([s.gt_label for s in batch['data_samples']])
    return batch, to_pixel_space(batch['inputs'], model), labels


# Backgrounds independent of the class and large objects: a model trained
# on the default split learns the background colour, and the colour gaps
# between the photos exceed 8/255, so about a third of the test images
# stay correct under PGD at 8/255 even for a tiny model.
SHAPE_TASK = dict(correlation=0.25, object_scale=(0.7, 1.0))


@pytest.fixture(scope='module')
def standard():
    """A standard model trained briefly on the embedded benchmark."""
    torch.manual_seed(0)
    model = TinyClassifier()
    _, images, labels = pixel_batch(
        dataset('train', 400, **SHAPE_TASK), model)
    pixel_model = PixelSpaceModel(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(50):
        idx = torch.randint(0, len(images), (32, ))
        loss = F.cross_entropy(pixel_model(images[idx]), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


@pytest.fixture(scope='module')
def test_batch(standard):
    return pixel_batch(dataset('test_ood', 48, **SHAPE_TASK), standard)


def evaluate(metric, model, batch):
    metric.attach_model(model)
    metric.process(batch, [])
    return metric.evaluate(len(batch['inputs']))


def test_pixel_space_reproduces_preprocessor_and_forward():
    from topgap_mm.analysis import load_classifier
    model, _ = load_classifier(
        osp.join(ROOT, 'configs/standard/resnet18_fashionbg.py'), None)
    batch, images, _ = pixel_batch(dataset('test_ood', 4, 32), model)
    with torch.no_grad():
        expected = model(model.data_preprocessor(batch)['inputs'])
        got = PixelSpaceModel(model)(images)
    assert torch.allclose(got, expected, atol=1e-5)
    # The dataset is BGR and the preprocessor flips: the wrapper's input
    # must be RGB, i.e. the flipped raw input.
    assert torch.equal(images[0] * 255, batch['inputs'][0].flip(0).float())


def test_standard_model_falls_under_pgd(standard, test_batch):
    batch, _, _ = test_batch
    metrics = evaluate(
        RobustAccuracy(attacks=[
            dict(type='FGSM', eps=EPS),
            dict(type='PGD', eps=EPS, alpha=2 / 255, steps=10),
            dict(type='Square', eps=EPS, n_queries=50),
        ]), standard, batch)
    assert set(metrics) == {
        'acc/clean', 'acc/FGSM_eps8', 'acc/PGD-10_eps8', 'acc/Square-50_eps8'
    }
    assert metrics['acc/clean'] > 0.6
    # A tiny MLP after 50 steps keeps ~15% (high-contrast, large objects);
    # the audit's sweep takes it to 0 at a larger radius.
    assert metrics['acc/PGD-10_eps8'] <= 0.2
    assert metrics['acc/PGD-10_eps8'] <= metrics['acc/clean'] / 3
    assert metrics['acc/FGSM_eps8'] < metrics['acc/clean']


def test_max_samples_caps_the_robust_accuracy(standard, test_batch):
    batch, _, _ = test_batch
    metric = RobustAccuracy(
        attacks=[dict(type='FGSM', eps=EPS),
                 dict(type='PGD', eps=EPS, steps=2)],
        max_samples=5)
    metric.attach_model(standard)
    # as inside MMEngine's val/test loops
    with torch.no_grad():
        metric.process(batch, [])
    assert len(metric.results) == 5


@pytest.mark.parametrize('attack', ['fgsm', 'pgd', 'PGD', 'Square'])
def test_perturbation_stays_within_eps(standard, test_batch, attack):
    _, images, labels = test_batch
    images, labels = images[:8], labels[:8]
    model = PixelSpaceModel(standard)
    if attack == 'fgsm':
        adv = fgsm(model, images, labels, EPS)
    elif attack == 'pgd':
        adv = pgd(model, images, labels, EPS, steps=5, restarts=2,
                  loss='margin')
    else:
        adv = build_attack(
            dict(type=attack, eps=EPS, steps=5, alpha=2 / 255)
            if attack == 'PGD' else dict(type=attack, eps=EPS, n_queries=20),
            model)(images, labels)
    assert (adv - images).abs().max() <= EPS + 1e-6
    assert adv.min() >= 0 and adv.max() <= 1
    if attack != 'Square':  # Square returns the clean image where it fails
        assert (adv != images).any()


def test_audit_passes_standard_and_flags_gradient_masking(
        standard, test_batch):
    _, images, labels = test_batch
    cfg = AuditConfig(
        pgd_steps=10, restarts=1, square_queries=300, sweep_steps=10,
        eps_list=(8 / 255, 128 / 255), surrogates=())
    honest = run_audit(standard, images, labels, cfg=cfg, progress=False)
    assert honest['zero_gradient_share'] == 0
    assert honest['robust_acc'] <= 0.2
    assert not any(honest['flags'][name] for name in (
        'one_step_beats_iterative', 'black_box_beats_white_box',
        'zero_gradients', 'no_zero_at_max_eps'))

    masked = TinyClassifier(quantize=True)
    masked.net = standard.net
    report = run_audit(
        masked, images, labels, twin=standard, cfg=cfg, progress=False)
    assert report['zero_gradient_share'] == 1
    assert report['flags']['zero_gradients']
    assert (report['flags']['black_box_beats_white_box']
            or report['flags']['transfer_beats_white_box'])
    pgd_acc = report['attacks']['PGD-CE-10x1']['acc']
    assert report['robust_acc'] < pgd_acc
    assert len(report['per_sample']['robust']) == len(images)


def test_original_autoattack_runs_and_sees_through_gradient_masking(
        standard, test_batch):
    _, images, labels = test_batch
    images, labels = images[:16], labels[:16]
    cfg = AuditConfig(
        pgd_steps=10, restarts=1, square_queries=100, sweep_steps=5,
        eps_list=(8 / 255, ), surrogates=(), autoattack=True)
    name = 'AutoAttack-standard (pyautoattack)'
    honest = run_audit(standard, images, labels, cfg=cfg, progress=False)
    assert honest['attacks'][name]['acc'] <= (
        honest['attacks']['PGD-CE-10x1']['acc'] + 1 / 16)
    # Rounded pixels give PGD no gradient; AutoAttack's Square (5000
    # queries in its standard version) needs none.
    masked = TinyClassifier(quantize=True)
    masked.net = standard.net
    report = run_audit(masked, images, labels, cfg=cfg, progress=False)
    assert report['attacks'][name]['acc'] < (
        report['attacks']['PGD-CE-10x1']['acc'])
    assert report['robust_acc'] <= report['attacks'][name]['acc']


class CenterModel(nn.Module):
    """Class 1 iff the mean brightness of a fixed region exceeds 128.5/255.

    It sees nothing outside ``region``: an exact "looks only at the
    object" model when ``region`` is the object.
    """

    def __init__(self, region: torch.Tensor):
        super().__init__()
        self.data_preprocessor = ClsDataPreprocessor(
            mean=[0.] * 3, std=[255.] * 3, to_rgb=True)
        self.register_buffer('region', region.float())
        self.scale = nn.Parameter(torch.tensor(100.))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        mean = (inputs * self.region).sum((1, 2, 3)) / (
            3 * self.region.sum())
        score = self.scale * (mean - 128.5 / 255)
        return torch.stack([-score, score], dim=1)


def centre_batch(with_masks=True):
    """Random backgrounds, a uniform 8x8 object in the centre whose
    brightness sets the class, some within one grey level of the cut."""
    rng = np.random.default_rng(0)
    values = [100, 127, 128, 129, 130, 160, 128, 129]
    inputs, samples = [], []
    mask = np.zeros((16, 16), np.uint8)
    mask[4:12, 4:12] = 1
    mask[5:11, 5:11] = 255  # the object's inside: ignored
    for value in values:
        img = rng.integers(0, 256, (16, 16, 3)).astype(np.uint8)
        img[4:12, 4:12] = value
        sample = DataSample().set_gt_label(int(value >= 129))
        if with_masks:
            sample.set_field(torch.from_numpy(mask), 'gt_object_mask')
        inputs.append(torch.from_numpy(img).permute(2, 0, 1).contiguous())
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples), torch.from_numpy(mask)


def test_object_only_model_has_zero_background_sar():
    batch, mask = centre_batch()
    model = CenterModel(mask == 1)
    metrics = evaluate(AttackDistance(), model, batch)
    assert metrics['attack_distance/clean_acc'] == 1
    assert metrics['attack_distance/sar_background'] == 0
    assert metrics['attack_distance/sar_object'] == pytest.approx(4 / 8)
    assert metrics['attack_distance/attack_distance'] == pytest.approx(4 / 8)


def test_attack_distance_attacks_the_true_label_over_all_samples():
    batch, mask = centre_batch()
    # Two samples now misclassified: value 100 (far from the cut) and 128
    # (one grey level below it), both labelled 1.
    for i in (0, 2):
        batch['data_samples'][i].set_gt_label(1)
    metrics = evaluate(AttackDistance(), CenterModel(mask == 1), batch)
    assert metrics['attack_distance/clean_acc'] == pytest.approx(6 / 8)
    # The step against the true label keeps the 128 wrong (attacking the
    # predicted label would push it over the cut, to the true class: 4/8);
    # both misclassified samples count as successes (over the correct
    # samples only, SAR(O) would be 3/6 and SAR(B) 0).
    assert metrics['attack_distance/sar_object'] == pytest.approx(5 / 8)
    assert metrics['attack_distance/sar_background'] == pytest.approx(2 / 8)
    assert metrics['attack_distance/attack_distance'] == pytest.approx(3 / 8)


def test_ignored_pixels_are_never_perturbed():
    batch, mask = centre_batch()
    # The model looks only at the ignored pixels (255): neither attack may
    # change its decision.
    model = CenterModel(mask == 255)
    metrics = evaluate(AttackDistance(), model, batch)
    assert metrics['attack_distance/sar_object'] == 0
    assert metrics['attack_distance/sar_background'] == 0


def test_attack_distance_without_masks_raises():
    batch, mask = centre_batch(with_masks=False)
    metric = AttackDistance()
    metric.attach_model(CenterModel(mask == 1))
    with pytest.raises(ValueError, match='gt_object_mask'):
        metric.process(batch, [])


@pytest.mark.parametrize('build', [
    lambda: AttackDistance(eps=2.0),
    lambda: AttackDistance(eps=-1 / 255),
    lambda: RobustAccuracy(attacks=[dict(type='PGD', eps=1.5, steps=2)]),
    lambda: AuditConfig(eps=300 / 255),
])
def test_eps_outside_unit_interval_raises(build):
    with pytest.raises(ValueError, match='`eps'):
        build()


def test_unknown_attack_raises():
    with pytest.raises(ValueError, match='type'):
        RobustAccuracy(attacks=[dict(type='AutoAttack', eps=EPS)])


def test_images_outside_unit_interval_raise(standard, test_batch):
    _, images, labels = test_batch
    model = PixelSpaceModel(standard)
    bad = images[:2] * 255
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        model(bad)
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        pgd(model, bad, labels[:2], EPS, steps=1)
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        run_audit(standard, bad, labels[:2], progress=False)
    with pytest.raises(ValueError):
        build_attack(dict(type='FGSM', eps=EPS), model)(bad, labels[:2])


class TinyTopGAP(nn.Module):
    """Conv features -> TopGAPClsHead, behind a preprocessor."""

    def __init__(self):
        super().__init__()
        self.data_preprocessor = ClsDataPreprocessor(
            mean=MEAN, std=STD, to_rgb=True)
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.head = TopGAPClsHead(num_classes=4, in_channels=8, k=4)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.head((self.conv(inputs), ))


@pytest.mark.parametrize('surrogate', ['gap', 'soft_topk'])
def test_bpda_keeps_logits_exact_and_smooths_gradient(surrogate):
    torch.manual_seed(0)
    model = TinyTopGAP().eval()
    pool = model.head.pool
    pixel_model = PixelSpaceModel(model)
    images, labels = torch.rand(2, 3, 12, 12), torch.tensor([0, 1])
    exact = pixel_model(images)
    plain = input_gradient(pixel_model, images, labels)
    with smooth_topgap_backward(model, surrogate):
        assert torch.equal(pixel_model(images), exact)
        smooth = input_gradient(pixel_model, images, labels)
    assert model.head.pool is pool
    # Top-k sends gradient to k=4 CAM positions only; the surrogate to
    # (nearly) all, so more input pixels get a gradient.
    assert (smooth != 0).sum() > (plain != 0).sum()
    with pytest.raises(ValueError, match='TopGAP'):
        with smooth_topgap_backward(TinyClassifier()):
            pass


def test_corruption_keeps_bgr_order_shape_and_is_reproducible():
    from imagecorruptions import corrupt
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, (32, 32, 3)).astype(np.uint8)
    bgr[..., 0] = 0  # no blue: a channel mix-up would show
    out = corrupt_bgr(bgr, 'saturate', 5)
    expected = corrupt(bgr[..., ::-1].copy(), corruption_name='saturate',
                       severity=5)
    assert out.shape == bgr.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(
        out[..., ::-1], np.clip(np.rint(expected), 0, 255).astype(np.uint8))
    transform = ApplyCorruption('gaussian_noise', 3, seed=1)
    first = transform(dict(img=bgr.copy(), sample_idx=4))['img']
    again = transform(dict(img=bgr.copy(), sample_idx=4))['img']
    other = transform(dict(img=bgr.copy(), sample_idx=5))['img']
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    with pytest.raises(ValueError, match='severity'):
        ApplyCorruption('fog', 6)
    with pytest.raises(ValueError, match='corruption'):
        ApplyCorruption('rain', 1)


SMALL = {
    'test_dataloader.dataset.img_size': 32,
    'test_dataloader.dataset.num_samples': 8,
}


@pytest.fixture(scope='module')
def random_checkpoint(tmp_path_factory):
    from topgap_mm.analysis import load_classifier
    path = str(tmp_path_factory.mktemp('ckpt') / 'model.pth')
    model, _ = load_classifier(
        osp.join(ROOT, 'configs/topgap/resnet18_fashionbg_k16.py'), None,
        {'model.head.k': 4})
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def test_audit_tool_runs(random_checkpoint, tmp_path, capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'robustness_audit',
        osp.join(ROOT, 'tools/analysis_tools/robustness_audit.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    report = tool.main([
        osp.join(ROOT, 'configs/topgap/resnet18_fashionbg_k16.py'),
        random_checkpoint, '--num-samples', '2', '--pgd-steps', '1',
        '--restarts', '1', '--square-queries', '2', '--sweep-steps', '1',
        '--eps-list', '0.5', '--no-progress', '--out-dir',
        str(tmp_path), '--cfg-options', 'model.head.k=4',
        *[f'{k}={v}' for k, v in SMALL.items()]
    ])
    assert (tmp_path / 'audit.md').exists()
    assert (tmp_path / 'audit.json').exists()
    assert any(name.startswith('BPDA-soft_topk') for name in report['attacks'])
    assert '| attack | kind | accuracy |' in capsys.readouterr().out


def test_corruption_tool_runs(random_checkpoint, tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'corruption_eval',
        osp.join(ROOT, 'tools/analysis_tools/corruption_eval.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'c.json'
    report = tool.main([
        osp.join(ROOT, 'configs/topgap/resnet18_fashionbg_k16.py'),
        random_checkpoint, '--corruptions', 'fog',
        '--severities', '1', '5', '--num-samples', '4', '--out', str(out),
        '--cfg-options', 'model.head.k=4',
        *[f'{k}={v}' for k, v in SMALL.items()]
    ])
    assert set(report['accuracy']) == {'fog'}
    assert set(report['accuracy']['fog']) == {'1', '5'}
    assert out.exists()


def test_audit_names_the_pooling_where_bpda_does_not_apply():
    """BPDA smooths top-k pooling: a Top-GAP head with another pooling is
    named as such, not called "no Top-GAP head", and only a TopGAP pooling
    gets the adaptive attack."""
    torch.manual_seed(0)
    images, labels = torch.rand(2, 3, 12, 12), torch.tensor([0, 1])
    cfg = AuditConfig(
        pgd_steps=2, restarts=1, square_queries=5, sweep_steps=2,
        eps_list=(8 / 255, ), surrogates=('gap', ))
    wildcat = TinyTopGAP().eval()
    wildcat.head = TopGAPClsHead(
        num_classes=4, in_channels=8, k=None,
        pool=dict(type='WildcatPool', kmax=4, kmin=4, alpha=0.7))
    notes = run_audit(wildcat, images, labels, cfg=cfg,
                      progress=False)['notes']
    assert any('WildcatPool' in note and 'BPDA' in note for note in notes)
    assert not any('No Top-GAP head' in note for note in notes)
    top_gap = run_audit(TinyTopGAP().eval(), images, labels, cfg=cfg,
                        progress=False)
    assert any(name.startswith('BPDA-gap') for name in top_gap['attacks'])
    standard = run_audit(TinyClassifier().eval(), torch.rand(2, 3, SIZE, SIZE),
                         labels, cfg=cfg, progress=False)
    assert any('No Top-GAP head' in note for note in standard['notes'])
