import pytest
import torch

from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from topgap_mm import normalize_cams, topgap_cams


def build_classifier(num_classes=5, k=8, l1=1.0):
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet', depth=18, out_indices=(0, 1, 2, 3)),
            neck=dict(type='TopGAPFPN', in_channels=[64, 128, 256, 512]),
            head=dict(
                type='TopGAPClsHead',
                num_classes=num_classes,
                in_channels=256,
                k=k,
                l1_loss=dict(type='CAML1Loss', loss_weight=l1))))
    return model.eval()


def samples(labels):
    return [DataSample().set_gt_label(label) for label in labels]


def test_neck_fuses_maps_at_finest_resolution():
    neck = MODELS.build(dict(type='TopGAPFPN', in_channels=[8, 16, 32]))
    feats = (torch.randn(2, 4, 32, 32), torch.randn(2, 8, 16, 16),
             torch.randn(2, 16, 8, 8), torch.randn(2, 32, 4, 4))
    (out, ) = neck(feats)
    assert out.shape == (2, 256, 16, 16)


def test_neck_equals_sum_of_upsampled_convs():
    neck = MODELS.build(
        dict(
            type='TopGAPFPN',
            in_channels=[3, 3],
            out_channels=2,
            norm_cfg=None,
            act_cfg=None,
            upsample_mode='nearest')).eval()
    fine, coarse = torch.randn(1, 3, 4, 4), torch.randn(1, 3, 2, 2)
    expected = neck.convs[0](fine) + neck.convs[1](coarse).repeat_interleave(
        2, dim=2).repeat_interleave(2, dim=3)
    torch.testing.assert_close(neck((fine, coarse))[0], expected)


def test_neck_rejects_wrong_in_channels_with_sizes():
    neck = MODELS.build(dict(type='TopGAPFPN', in_channels=[64, 128]))
    feats = (torch.randn(1, 64, 8, 8), torch.randn(1, 96, 4, 4))
    with pytest.raises(ValueError, match=r'`in_channels`=\[64, 128\].*'
                       r'\[64, 96\]'):
        neck(feats)


def test_neck_rejects_too_few_maps():
    neck = MODELS.build(dict(type='TopGAPFPN', in_channels=[64, 128, 256]))
    with pytest.raises(ValueError, match='out_indices'):
        neck((torch.randn(1, 256, 4, 4), ))


def test_head_rejects_wrong_in_channels():
    head = MODELS.build(
        dict(type='TopGAPClsHead', num_classes=3, in_channels=256, k=4))
    with pytest.raises(ValueError, match=r'`in_channels`=256.*\(1, 128, 8, 8\)'):
        head((torch.randn(1, 128, 8, 8), ))


def test_forward_returns_logits_equal_to_top_gap_of_cam():
    model = build_classifier(k=8)
    x = torch.randn(2, 3, 64, 64)
    logits = model(x)
    cam = model.head.forward_cam(model.extract_feat(x))
    assert logits.shape == (2, 5) and cam.shape == (2, 5, 16, 16)
    torch.testing.assert_close(logits, cam.flatten(2).topk(8).values.mean(2))


def test_loss_terms_are_cross_entropy_and_mean_l1():
    model = build_classifier(k=8, l1=0.5)
    x = torch.randn(2, 3, 64, 64)
    data_samples = samples([1, 4])
    losses = model(x, data_samples, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_l1'}
    cam = model.head.forward_cam(model.extract_feat(x))
    ce = torch.nn.functional.cross_entropy(
        model.head.pool(cam), torch.tensor([1, 4]))
    torch.testing.assert_close(losses['loss_cls'], ce)
    torch.testing.assert_close(losses['loss_l1'], 0.5 * cam.abs().mean())


def test_l1_gradient_is_that_of_autograd_abs_mean():
    from topgap_mm.models.losses.cam_l1_loss import abs_mean
    cam = torch.randn(2, 3, 4, 5, dtype=torch.double)
    cam[0, 0, 0, :2] = 0.
    fused = cam.clone().requires_grad_()
    reference = cam.clone().requires_grad_()
    (3. * abs_mean(fused)).backward()
    (3. * reference.abs().mean()).backward()
    torch.testing.assert_close(fused.grad, reference.grad, rtol=0, atol=0)
    assert fused.grad[0, 0, 0, 0] == 0
    assert torch.autograd.gradcheck(abs_mean, (cam[1:] + 0.1).requires_grad_())


def test_head_without_l1_logs_only_cross_entropy():
    model = build_classifier(l1=1.0)
    model.head.l1_loss_module = None
    losses = model(torch.randn(1, 3, 64, 64), samples([0]), mode='loss')
    assert set(losses) == {'loss_cls'}


def test_k_larger_than_cam_fails_at_forward_with_sizes():
    model = build_classifier(k=300)
    with pytest.raises(ValueError, match=r'16x16 = 256'):
        model(torch.randn(1, 3, 64, 64))


def test_normalize_cams_minmax_and_constant_maps():
    cams = torch.stack([torch.arange(4.).view(2, 2), torch.full((2, 2), 3.)])
    out = normalize_cams(cams, (2, 2))
    torch.testing.assert_close(out[0], torch.arange(4.).view(2, 2) / 3)
    assert torch.all(out[1] == 0)
    up = normalize_cams(cams, (8, 8))
    assert up.shape == (2, 8, 8)
    assert up[0].min() == 0 and up[0].max() == 1


def test_topgap_cams_for_gt_pred_and_given_class():
    model = build_classifier()
    x = torch.randn(2, 3, 64, 64)
    raw = model.head.forward_cam(model.extract_feat(x))
    gt = topgap_cams(model, x, 'gt', samples([2, 0]))
    assert gt.shape == (2, 64, 64)
    torch.testing.assert_close(
        gt, normalize_cams(raw[[0, 1], [2, 0]], (64, 64)))
    pred = topgap_cams(model, x, 'pred')
    best = model(x).argmax(1)
    torch.testing.assert_close(
        pred, normalize_cams(raw[[0, 1], best], (64, 64)))
    fixed = topgap_cams(model, x, 3)
    torch.testing.assert_close(fixed, normalize_cams(raw[:, 3], (64, 64)))


def test_topgap_cams_refuses_standard_model_and_bad_class():
    standard = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet', depth=18),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=512)))
    with pytest.raises(TypeError, match='TopGAPClsHead'):
        topgap_cams(standard, torch.randn(1, 3, 32, 32))
    with pytest.raises(ValueError, match=r'\[0, 5\)'):
        topgap_cams(build_classifier(), torch.randn(1, 3, 64, 64), 7)


def test_normalize_cams_treats_rounding_noise_as_constant():
    base = torch.full((1, 4, 4), 0.25)
    noisy = base.clone()
    # one float32 ulp above the rest: rounding noise, not a location
    noisy[0, 0, 0] = torch.nextafter(torch.tensor(0.25), torch.tensor(1.0))
    assert torch.all(normalize_cams(noisy, (4, 4)) == 0)
    signal = base.clone()
    signal[0, 1, 2] += 1e-4
    assert normalize_cams(signal, (4, 4)).max() == 1


def test_channels_last_preprocessor_changes_strides_not_values():
    from mmengine.config import Config

    from mmpretrain.models.utils import ClsDataPreprocessor
    from topgap_mm.models import (ChannelsLastClsDataPreprocessor,
                                  use_channels_last)
    settings = dict(mean=[1., 2., 3.], std=[4., 5., 6.], to_rgb=True)
    images = [torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8)] * 2
    plain = ClsDataPreprocessor(**settings)(dict(inputs=images))['inputs']
    model = build_classifier().eval()
    model.data_preprocessor = ChannelsLastClsDataPreprocessor(**settings)
    inputs = model.data_preprocessor(dict(inputs=images))['inputs']
    assert inputs.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(inputs, plain, rtol=0, atol=0)
    with torch.no_grad():
        cam = model.head.forward_cam(model.extract_feat(inputs))
        reference = model.head.forward_cam(model.extract_feat(plain))
    assert cam.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(cam, reference, rtol=1e-4, atol=1e-5)

    cfg = Config(dict(model=dict(type='ImageClassifier'),
                      data_preprocessor=dict(num_classes=5)))
    use_channels_last(cfg)
    assert cfg.data_preprocessor == dict(
        num_classes=5, type='ChannelsLastClsDataPreprocessor')
    cfg = Config(dict(model=dict(data_preprocessor=dict(mean=[0.] * 3))))
    use_channels_last(cfg)
    assert cfg.model.data_preprocessor.type == (
        'ChannelsLastClsDataPreprocessor')
    cfg = Config(dict(model=dict(
        data_preprocessor=dict(type='SelfSupDataPreprocessor'))))
    with pytest.raises(ValueError, match='SelfSupDataPreprocessor'):
        use_channels_last(cfg)
