"""pytorch-grad-cam's GradCAM++, XGradCAM, LayerCAM, EigenCAM and ScoreCAM
through this package's classes, layers and normalisation, against the
library itself."""
import os.path as osp

import numpy as np
import pytest
import pytorch_grad_cam
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from module_hooks import hook_count
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from mmpretrain.registry import DATASETS, MODELS
from mmpretrain.structures import DataSample
from topgap_mm.cam import (CAM_METHODS, compute_cams, normalize_cams,
                           resolve_method)
from topgap_mm.cam.grad_cam_library import ClassifierLogits
from topgap_mm.evaluation.metrics import CAMIoU

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
STANDARD_CONFIG = osp.join(ROOT, 'configs/standard/resnet18_fashionbg.py')
#: Our names (the library's example CLI) and the library's classes.
LIBRARY = {
    'gradcam++': 'GradCAMPlusPlus',
    'xgradcam': 'XGradCAM',
    'layercam': 'LayerCAM',
    'eigencam': 'EigenCAM',
    'scorecam': 'ScoreCAM',
}
METHODS = list(LIBRARY)
CLASS_SPECIFIC = [m for m in METHODS if m != 'eigencam']
GRADIENT_METHODS = ['gradcam++', 'xgradcam', 'layercam']
# Measured: at most 5e-7 on every method and layer (float32 rounding of
# the two min-max orders and of cv2.resize vs F.interpolate).
ATOL = 1e-5
# Maps of another class or layer differ by more than this, so that the
# agreement test would catch them. ScoreCAM's classes differ least (its
# softmax over channels is nearly uniform on random weights).
DIFFERENT = 100 * ATOL


# Small forward passes: one torch thread (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)


def small_resnet(seed: int = 0, out_indices: tuple = (3, )) -> nn.Module:
    """The standard twin's ResNet-18 at 8 base channels (64 in layer4, so
    ScoreCAM takes 64 masked passes per image), random weights, eval."""
    torch.manual_seed(seed)
    cfg = Config.fromfile(STANDARD_CONFIG)
    cfg.model.backbone.update(
        base_channels=8, stem_channels=8, out_indices=out_indices)
    cfg.model.head.in_channels = 64
    model = MODELS.build(cfg.model).eval()
    # Larger than PyTorch's default, so that the maps clearly differ by
    # class.
    nn.init.normal_(model.head.fc.weight, std=1.)
    return model


@pytest.fixture(scope='module')
def model():
    return small_resnet()


def library_maps(model, method, layer, classes, x) -> np.ndarray:
    """The library called directly, one target per image."""
    cam_class = getattr(pytorch_grad_cam, LIBRARY[method])
    with cam_class(ClassifierLogits(model), [model.get_submodule(layer)]) \
            as cam:
        maps = cam(x, [ClassifierOutputTarget(c) for c in classes])
    # It leaves gradients on the parameters.
    model.zero_grad(set_to_none=True)
    return maps


@pytest.mark.parametrize('layer', [None, 'backbone.layer3'])
@pytest.mark.parametrize('method', METHODS)
def test_agrees_with_pytorch_grad_cam(model, method, layer):
    # Non-square, so that a swapped (H, W) would show: maps 2x3 (layer4,
    # the backbone's output) and 4x6 (layer3).
    x = torch.randn(3, 3, 64, 96)
    classes = [0, 2, 3]
    ours = CAM_METHODS[method](model, x, classes, target_layer=layer)
    theirs = library_maps(model, method, layer or 'backbone.layer4',
                          classes, x)
    assert theirs.shape == tuple(ours.shape) == (3, 64, 96)
    # Normalised, and not trivially: a map can be all zeros after the
    # library's ReLU, most must not be.
    assert ours.min() == 0 and (ours.amax(dim=(1, 2)) == 1).sum() >= 2
    np.testing.assert_allclose(ours.numpy(), theirs, atol=ATOL, rtol=0)


@pytest.mark.parametrize('method', ['gradcam++', 'eigencam'])
def test_default_layer_is_the_last_of_several_maps(method):
    model = small_resnet(out_indices=(2, 3))
    x = torch.randn(2, 3, 64, 96)
    cams = CAM_METHODS[method]
    torch.testing.assert_close(
        cams(model, x, [0, 1]),
        cams(model, x, [0, 1], target_layer='backbone.layer4'))


def test_layer_followed_by_in_place_relu(model):
    """The map is the layer's output, not what an in-place ReLU after it
    makes of it (the library called directly on CPU records the latter, as
    its CPU copy is the same tensor)."""
    from pytorch_grad_cam.utils.svd_on_activations import get_2d_projection
    x = torch.randn(2, 3, 64, 96)
    layer = 'backbone.layer4.1.bn1'
    seen = []
    handle = model.get_submodule(layer).register_forward_hook(
        lambda module, args, output: seen.append(output.clone()))
    with torch.no_grad():
        model(x, mode='tensor')
    handle.remove()
    projection = np.maximum(get_2d_projection(seen[0].numpy()), 0)
    expected = normalize_cams(torch.from_numpy(projection), x.shape[-2:])
    cams = CAM_METHODS['eigencam'](model, x, target_layer=layer)
    torch.testing.assert_close(cams, expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize('method', METHODS)
def test_maps_depend_on_layer_and_class(model, method):
    """So that the agreement above would catch a wrong layer or class."""
    x = torch.randn(3, 3, 64, 96)
    cams = CAM_METHODS[method]
    maps = cams(model, x, [0, 2, 3])
    other_layer = cams(model, x, [0, 2, 3], target_layer='backbone.layer3')
    assert (maps - other_layer).abs().max() > DIFFERENT
    other_classes = cams(model, x, [1, 3, 0])
    if method == 'eigencam':
        torch.testing.assert_close(other_classes, maps)
    else:
        assert (maps - other_classes).abs().max() > DIFFERENT


@pytest.mark.parametrize('method', CLASS_SPECIFIC)
def test_targets_pred_gt_and_one_class(model, method):
    x = torch.randn(4, 3, 64, 64)
    with torch.no_grad():
        argmax = model(x, mode='tensor').argmax(dim=1).tolist()
    cams = CAM_METHODS[method]
    expected = cams(model, x, argmax)
    torch.testing.assert_close(cams(model, x, 'pred'), expected)
    samples = [DataSample().set_gt_label(c) for c in argmax]
    torch.testing.assert_close(cams(model, x, 'gt', samples), expected)
    assert (cams(model, x, [(c + 1) % 4 for c in argmax]) -
            expected).abs().max() > DIFFERENT
    torch.testing.assert_close(cams(model, x, 2), cams(model, x, [2] * 4))
    with pytest.raises(ValueError, match='2 classes for a batch of 4'):
        cams(model, x, [0, 1])


@pytest.mark.parametrize('training', [False, True])
@pytest.mark.parametrize('method', METHODS)
def test_no_side_effects_under_no_grad(method, training):
    model = small_resnet().train(training)
    # A mixed state, as MMPretrain's `norm_eval` or frozen stages leave it.
    model.backbone.layer1.train(not training)
    modes = [m.training for m in model.modules()]
    state = {k: v.clone() for k, v in model.state_dict().items()}
    hooks = hook_count(model)
    # A gradient already there must stay (the library zeroes it).
    model.head.fc.bias.grad = grad = torch.ones(4)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        cams = compute_cams(model, x, method, 'pred')
    assert cams.shape == (2, 64, 64) and cams.dtype == torch.float32
    assert cams.device == x.device and not cams.requires_grad
    assert 0 <= cams.min() and cams.max() <= 1
    assert [m.training for m in model.modules()] == modes
    assert hook_count(model) == hooks
    assert model.head.fc.bias.grad is grad
    assert all(p.grad is None for n, p in model.named_parameters()
               if n != 'head.fc.bias')
    assert all(p.requires_grad for p in model.parameters())
    # Computed in eval mode (as the library sets it): BatchNorm neither
    # used nor updated the batch statistics.
    after = model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in state.items())
    torch.testing.assert_close(
        cams, compute_cams(model.eval(), x, method, 'pred'))


@pytest.mark.parametrize('method', GRADIENT_METHODS)
def test_gradient_methods_on_frozen_model(model, method):
    x = torch.randn(2, 3, 64, 64)
    expected = compute_cams(model, x, method, 'pred')
    model.requires_grad_(False)
    try:
        cams = compute_cams(model, x, method, 'pred')
    finally:
        model.requires_grad_(True)
    torch.testing.assert_close(cams, expected)
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize('batch', [1, 5])
def test_any_batch_size(model, batch):
    x = torch.randn(batch, 3, 64, 64)
    cams = compute_cams(model, x, 'layercam', 1)
    torch.testing.assert_close(
        cams[-1:], compute_cams(model, x[-1:], 'layercam', 1))


def test_bad_layers_and_inputs_leave_nothing_behind(model):
    x = torch.randn(2, 3, 64, 64)
    hooks = hook_count(model)
    cams = CAM_METHODS['xgradcam']
    with pytest.raises(ValueError, match="no submodule 'backbone.nope'"):
        cams(model, x, 0, target_layer='backbone.nope')
    with pytest.raises(ValueError, match='not a submodule'):
        cams(model, x, 0, target_layer=nn.ReLU())
    with pytest.raises(TypeError, match='dotted module name'):
        cams(model, x, 0, target_layer=3)
    # A BasicBlock's ReLU runs twice per pass.
    with pytest.raises(ValueError, match='ran 2 times'):
        cams(model, x, 0, target_layer='backbone.layer4.1.relu')
    with pytest.raises(ValueError, match=r'map \(N, C, h, w\)'):
        cams(model, x, 0, target_layer='head.fc')
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        cams(model, x[0], 0)
    assert hook_count(model) == hooks
    assert not model.training
    assert all(p.grad is None for p in model.parameters())


def test_fewer_logits_than_images_is_an_error(model, monkeypatch):
    """Never the library's silent all-zero maps for a short target list."""
    forward = model.head.forward
    monkeypatch.setattr(model.head, 'forward', lambda feats: forward(feats)
                        [:1])
    with pytest.raises(ValueError, match='1 classes for a batch of 2'):
        compute_cams(model, torch.randn(2, 3, 64, 64), 'gradcam++', 'pred')


def test_registry_names_and_kwargs(model, capsys):
    assert set(METHODS) <= set(CAM_METHODS)
    assert all(resolve_method(model, m) == m for m in METHODS)
    with pytest.raises(ValueError, match="'scorecam', 'topgap'"):
        resolve_method(model, 'score_cam')
    x = torch.randn(2, 3, 64, 64)
    torch.testing.assert_close(
        compute_cams(model, x, method='layercam', target=1),
        CAM_METHODS['layercam'](model, x, 1))
    # ScoreCAM's batch size changes the passes, not the maps.
    torch.testing.assert_close(
        compute_cams(model, x, 'scorecam', 1, batch_size=7),
        compute_cams(model, x, 'scorecam', 1))
    # Without the library's progress bar per image.
    assert '%|' not in capsys.readouterr().err
    with pytest.raises(ValueError, match='batch_size'):
        compute_cams(model, x, 'scorecam', 1, batch_size=0)
    with pytest.raises(TypeError, match='batch_size'):
        compute_cams(model, x, 'layercam', 1, batch_size=7)
    smooth = compute_cams(model, x, 'gradcam++', 1, eigen_smooth=True)
    assert smooth.shape == (2, 64, 64) and smooth.max() <= 1


def test_cam_iou_with_scorecam(model):
    cfg = Config.fromfile(STANDARD_CONFIG).test_dataloader.dataset
    cfg.update(img_size=64, num_samples=3)
    dataset = DATASETS.build(cfg)
    batch = pseudo_collate([dataset[i] for i in range(3)])
    metric = CAMIoU(method='scorecam', method_kwargs=dict(batch_size=32))
    metric.attach_model(model)
    with torch.no_grad():
        outputs = model.test_step(batch)
        metric.process(batch, outputs)
    data = model.data_preprocessor(batch, False)
    cams = CAM_METHODS['scorecam'](model, data['inputs'], 'gt',
                                   data['data_samples'])
    assert cams.amax() == 1
    for cam, sample, result in zip(cams, batch['data_samples'],
                                   metric.results):
        hists = CAMIoU.histograms(cam, sample.gt_object_mask,
                                  metric.thresholds)
        np.testing.assert_array_equal(result['object_hist'], hists[0])
        np.testing.assert_array_equal(result['background_hist'], hists[1])
    assert 0 < metric.evaluate(3)['cam/pxap'] <= 100
