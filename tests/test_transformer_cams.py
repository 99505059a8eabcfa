"""The GradCAM family on MMPretrain's ViT and DeiT classifiers: the patch
tokens on the patch grid, against pytorch-grad-cam with its
``reshape_transform``."""
import functools
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
from pytorch_grad_cam.utils.reshape_transforms import vit_reshape_transform

from mmpretrain.registry import DATASETS, MODELS
from topgap_mm.cam import CAM_METHODS, compute_cams, normalize_cams
from topgap_mm.cam.grad_cam_library import ClassifierLogits
from topgap_mm.evaluation.metrics import CAMIoU

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
STANDARD_CONFIG = osp.join(ROOT, 'configs/standard/resnet18_fashionbg.py')
ARCH = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
BACKBONES = {
    'vit': ('VisionTransformer', 'VisionTransformerClsHead'),
    'deit': ('DistilledVisionTransformer', 'DeiTClsHead'),
}
OUT_TYPES = ['cls_token', 'featmap', 'avg_featmap', 'raw']
#: Our names and pytorch-grad-cam's classes; 'gradcam' is this package's
#: own implementation, the others drive the library.
LIBRARY = {
    'gradcam': 'GradCAM',
    'gradcam++': 'GradCAMPlusPlus',
    'xgradcam': 'XGradCAM',
    'layercam': 'LayerCAM',
    'eigencam': 'EigenCAM',
    'scorecam': 'ScoreCAM',
}
# Measured: at most 4.8e-7 on every backbone, out_type and method (float32
# rounding of the two min-max orders and of cv2.resize vs F.interpolate).
ATOL = 1e-5
# Maps from a wrong token layout differ by far more than this.
DIFFERENT = 100 * ATOL
#: 32x48 images in 8x8 patches: a 4x6 grid, so that a transposed grid
#: would show.
SIZE, GRID = (32, 48), (4, 6)


# Small forward passes: one torch thread (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)


class ClassTokenNeck(nn.Module):
    """The class token of ``out_type='raw'`` tokens, for a linear head
    (MMPretrain has no neck for raw tokens)."""

    def forward(self, feats):
        return tuple(tokens[:, 0] for tokens in feats)


def model_cfg(kind: str, out_type: str, img_size) -> dict:
    """An ImageClassifier config of a 2-block, 32-dim ViT or DeiT with the
    head that each ``out_type`` calls for."""
    backbone, token_head = BACKBONES[kind]
    head = dict(type='LinearClsHead', num_classes=4, in_channels=32)
    if out_type == 'cls_token':
        head['type'] = token_head
    return dict(
        type='ImageClassifier',
        backbone=dict(
            type=backbone,
            arch=ARCH,
            img_size=img_size,
            patch_size=8,
            out_type=out_type),
        neck=dict(type='GlobalAveragePooling')
        if out_type == 'featmap' else None,
        head=head)


def randomise(model: nn.Module) -> nn.Module:
    """Random weights that make every token and class distinct (MMPretrain
    starts the class, distillation and position tokens at zero, and the
    token heads' weights too)."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            if 'token' in name or 'pos_embed' in name:
                nn.init.normal_(param, std=0.5)
            elif name.startswith('head.') and name.endswith('weight'):
                nn.init.normal_(param, std=1.)
    return model.eval()


@functools.lru_cache(maxsize=None)
def tiny_classifier(kind: str, out_type: str = 'cls_token',
                    img_size=SIZE) -> nn.Module:
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(kind, out_type, img_size))
    if out_type == 'raw':
        model.neck = ClassTokenNeck()
    return randomise(model)


def reshape_transform(kind: str, grid=GRID):
    """pytorch-grad-cam's ``reshape_transform`` for the model: the
    library's own ``vit_reshape_transform`` for ViT (one class token), and
    the same with both extra tokens dropped for DeiT, as MMPretrain's
    ``vis_cam.py --vit-like`` does."""
    height, width = grid
    if kind == 'vit':
        return functools.partial(
            vit_reshape_transform, height=height, width=width)

    def deit(tensor):
        patches = tensor[:, 2:].reshape(
            tensor.size(0), height, width, tensor.size(2))
        return patches.permute(0, 3, 1, 2)

    return deit


def library_maps(model, kind, method, classes, x, grid=GRID) -> np.ndarray:
    """The library called directly on the last block's first norm."""
    cam_class = getattr(pytorch_grad_cam, LIBRARY[method])
    with cam_class(
            ClassifierLogits(model), [model.backbone.layers[-1].ln1],
            reshape_transform=reshape_transform(kind, grid)) as cam:
        maps = cam(x, [ClassifierOutputTarget(c) for c in classes])
    # It leaves gradients on the parameters.
    model.zero_grad(set_to_none=True)
    return maps


@pytest.mark.parametrize('out_type', OUT_TYPES)
@pytest.mark.parametrize('kind', BACKBONES)
def test_agrees_with_pytorch_grad_cam(kind, out_type):
    """Every out_type and method, with the default layer."""
    model = tiny_classifier(kind, out_type)
    x = torch.randn(3, 3, *SIZE)
    classes = [0, 2, 3]
    for method in LIBRARY:
        ours = compute_cams(model, x, method, classes)
        theirs = library_maps(model, kind, method, classes, x)
        assert theirs.shape == tuple(ours.shape) == (3, *SIZE)
        # Normalised and not constant (a layer after the last attention
        # would give all-zero maps under a class-token head).
        assert ours.min() == 0 and (ours.amax(dim=(1, 2)) == 1).all()
        np.testing.assert_allclose(
            ours.numpy(), theirs, atol=ATOL, rtol=0, err_msg=method)
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize('kind', BACKBONES)
def test_grid_of_the_forward_pass(kind):
    """Inputs of another size than the backbone was built for (its position
    embedding is resized) are laid on their own grid, 6x4 here, not on the
    built 4x6 one."""
    model = tiny_classifier(kind)
    x = torch.randn(2, 3, 48, 32)
    ours = compute_cams(model, x, 'gradcam', [1, 2])
    theirs = library_maps(model, kind, 'gradcam', [1, 2], x, grid=(6, 4))
    assert ours.shape == (2, 48, 32)
    np.testing.assert_allclose(ours.numpy(), theirs, atol=ATOL, rtol=0)


@pytest.mark.parametrize('kind', BACKBONES)
def test_extra_tokens_are_left_out(kind):
    """GradCAM by hand from the last block's first norm: the patch tokens
    on the grid agree; laying the class (ViT) or distillation (DeiT) token
    on the grid in place of the last patch does not."""
    model = tiny_classifier(kind)
    extra = model.backbone.num_extra_tokens
    assert extra == {'vit': 1, 'deit': 2}[kind]
    x = torch.randn(2, 3, *SIZE)
    seen = []
    handle = model.backbone.layers[-1].ln1.register_forward_hook(
        lambda module, args, output: seen.append(output))
    try:
        logits = model(x, mode='tensor')
    finally:
        handle.remove()
    tokens = seen[0]
    grads, = torch.autograd.grad(logits[:, 1].sum(), tokens)

    def gradcam(start: int, stop: int) -> torch.Tensor:
        maps, weights = tokens[:, start:stop], grads[:, start:stop]
        cams = torch.relu(maps @ weights.mean(dim=1, keepdim=True).mT)
        return normalize_cams(cams.reshape(2, *GRID).detach(), SIZE)

    ours = compute_cams(model, x, 'gradcam', 1)
    length = tokens.shape[1]
    assert length == extra + GRID[0] * GRID[1]
    torch.testing.assert_close(
        ours, gradcam(extra, length), atol=ATOL, rtol=0)
    assert (ours - gradcam(extra - 1, length - 1)).abs().max() > DIFFERENT


@pytest.mark.parametrize('kind', BACKBONES)
def test_default_layer_is_the_last_blocks_first_norm(kind):
    """The final norm (the last layer's output) would explain nothing under
    a class-token head: the patch tokens no longer reach the class token
    after the last attention."""
    model = tiny_classifier(kind)
    x = torch.randn(2, 3, *SIZE)
    for method in ('gradcam', 'gradcam++'):
        cams = CAM_METHODS[method]
        torch.testing.assert_close(
            cams(model, x, 0),
            cams(model, x, 0, target_layer='backbone.layers.1.ln1'))
        after = cams(model, x, 0, target_layer='backbone.ln1')
        assert torch.equal(after, torch.zeros_like(after))
    # An earlier block's tokens are maps too, and other ones.
    earlier = compute_cams(
        model, x, 'gradcam', 0, target_layer='backbone.layers.0.ln1')
    assert earlier.shape == (2, *SIZE)
    assert (earlier - compute_cams(model, x, 'gradcam', 0)).abs().max() \
        > DIFFERENT


@pytest.mark.parametrize('kind', BACKBONES)
def test_methods_that_need_a_map(kind):
    """Original CAM and Recipro-CAM read the backbone's output map, which a
    ViT has only with out_type='featmap'; the backbone itself is no target
    layer without patch tokens. Each error says what would work and leaves
    no hook behind."""
    x = torch.randn(2, 3, *SIZE)
    for out_type in ('cls_token', 'avg_featmap'):
        model = tiny_classifier(kind, out_type)
        hooks = hook_count(model)
        with pytest.raises(ValueError, match="out_type='featmap'"):
            compute_cams(model, x, 'recipro_cam', 0)
        with pytest.raises(TypeError, match="method='gradcam'"):
            compute_cams(model, x, 'cam', 0)
        for method in ('gradcam', 'layercam'):
            with pytest.raises(
                    ValueError,
                    match=f"out_type='{out_type}' outputs no patch tokens; "
                    'leave `target_layer` as None'):
                compute_cams(model, x, method, 0, target_layer='backbone')
        assert hook_count(model) == hooks
        assert all(p.grad is None for p in model.parameters())
    featmap = tiny_classifier(kind, 'featmap')
    for method in ('cam', 'recipro_cam'):
        assert compute_cams(featmap, x, method, 0).shape == (2, *SIZE)
    # The backbone's own tokens ('raw') and map ('featmap') are layers too.
    for out_type in ('raw', 'featmap'):
        model = tiny_classifier(kind, out_type)
        cams = compute_cams(model, x, 'gradcam', 0, target_layer='backbone')
        assert cams.shape == (2, *SIZE)


def test_cam_iou_end_to_end():
    """CAMIoU on a ViT (64x64 images, 16x16 patches) from the test batch
    to PxAP, with the maps of compute_cams."""
    cfg = Config.fromfile(STANDARD_CONFIG)
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.update(img_size=64, num_samples=3)
    dataset = DATASETS.build(dataset_cfg)
    batch = pseudo_collate([dataset[i] for i in range(3)])
    model_dict = model_cfg('vit', 'cls_token', 64)
    model_dict['backbone']['patch_size'] = 16
    model_dict['data_preprocessor'] = cfg.data_preprocessor
    torch.manual_seed(0)
    model = randomise(MODELS.build(model_dict))
    metric = CAMIoU(method='gradcam')
    metric.attach_model(model)
    with torch.no_grad():
        outputs = model.test_step(batch)
        metric.process(batch, outputs)
    data = model.data_preprocessor(batch, False)
    cams = compute_cams(model, data['inputs'], 'gradcam', 'gt',
                        data['data_samples'])
    assert cams.shape == (3, 64, 64) and (cams.amax(dim=(1, 2)) == 1).all()
    for cam, sample, result in zip(cams, batch['data_samples'],
                                   metric.results):
        hists = CAMIoU.histograms(cam, sample.gt_object_mask,
                                  metric.thresholds)
        np.testing.assert_array_equal(result['object_hist'], hists[0])
        np.testing.assert_array_equal(result['background_hist'], hists[1])
    assert 0 < metric.evaluate(3)['cam/pxap'] <= 100
