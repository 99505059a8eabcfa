"""Post-hoc CAM methods, figures and the --show-dir hook, by known answers."""
import importlib.util
import os
import os.path as osp
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmpretrain.models import ImageClassifier
from mmpretrain.registry import DATASETS, MODELS
from topgap_mm.cam import (CAM_METHODS, compute_cams, gradcam_cams,
                           normalize_cams, original_cams, recipro_cams,
                           resolve_method)
from topgap_mm.engine.hooks import CAMVisualizationHook
from topgap_mm.visualization import (inputs_to_images, overlay_cam,
                                     save_cam_grid)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
STANDARD_CONFIG = osp.join(ROOT, 'configs/standard/resnet18_fashionbg.py')
TOPGAP_CONFIG = osp.join(ROOT, 'configs/topgap/resnet18_fashionbg_k16.py')
POST_HOC = ['cam', 'gradcam', 'recipro_cam']


def resnet18_classifier(seed: int = 0) -> ImageClassifier:
    """The standard twin of the benchmark, random weights, eval mode."""
    torch.manual_seed(seed)
    cfg = Config.fromfile(STANDARD_CONFIG)
    model = MODELS.build(cfg.model).eval()
    # PyTorch's default init gives logits large enough to differ by class.
    nn.init.normal_(model.head.fc.weight, std=0.1)
    return model


def topgap_classifier() -> ImageClassifier:
    torch.manual_seed(0)
    cfg = Config.fromfile(TOPGAP_CONFIG)
    cfg.model.head.k = 4
    return MODELS.build(cfg.model).eval()


class MapsBackbone(nn.Module):
    """A backbone whose only output map is its input."""

    def forward(self, x):
        return (x, )


def hand_model() -> ImageClassifier:
    """GAP + linear on the raw 3-channel input, weights set by hand."""
    model = ImageClassifier(
        backbone=MapsBackbone(),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=2, in_channels=3))
    with torch.no_grad():
        model.head.fc.weight.copy_(
            torch.tensor([[1., 1., -1.], [0., 0., 1.]]))
        model.head.fc.bias.copy_(torch.tensor([5., -5.]))
    return model.eval()


def hand_inputs() -> torch.Tensor:
    x = torch.zeros(1, 3, 2, 2)
    x[0, 0, 0, 0], x[0, 1, 0, 1], x[0, 2, 1, 1] = 1., 2., 4.
    return x


@pytest.fixture(autouse=True)
def seeded():
    """The same random inputs whatever tests ran before."""
    torch.manual_seed(0)


@pytest.fixture(scope='module')
def resnet():
    return resnet18_classifier()


@pytest.fixture(scope='module')
def zero_head_resnet():
    """A classifier whose class scores are all its bias: constant maps."""
    model = resnet18_classifier()
    with torch.no_grad():
        model.head.fc.weight.zero_()
    return model


# ----------------------------------------------------------- original CAM


def test_original_cam_by_hand():
    model, x = hand_model(), hand_inputs()
    # Class 0 (also the prediction: logits 4.75 vs -4): 1*c0 + 1*c1 - 1*c2
    # = [[1, 2], [0, -4]], min-maxed: (v + 4) / 6; the bias drops out.
    expected = torch.tensor([[[5 / 6, 1.], [4 / 6, 0.]]])
    torch.testing.assert_close(original_cams(model, x, 'pred'), expected)
    torch.testing.assert_close(
        compute_cams(model, x, 'cam', target=0), expected)
    # Class 1 reads channel 2 only.
    torch.testing.assert_close(
        original_cams(model, x, 1), torch.tensor([[[0., 0.], [0., 1.]]]))


def test_original_cam_rejects_other_heads():
    with pytest.raises(TypeError, match='LinearClsHead'):
        original_cams(topgap_classifier(), torch.randn(1, 3, 32, 32), 0)


# ---------------------------------------------------------------- GradCAM


@pytest.mark.parametrize('layer', [None, 'backbone.layer4.1.conv1'])
def test_gradcam_agrees_with_pytorch_grad_cam(layer):
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    # Its own model: pytorch-grad-cam leaves .grad on the parameters.
    model = resnet18_classifier(seed=1)
    # Non-square, so that a swapped (H, W) would show; maps are 2x3.
    x = torch.randn(3, 3, 64, 96)
    classes = [0, 2, 3]
    ours = gradcam_cams(model, x, classes, target_layer=layer)
    # pytorch-grad-cam min-maxes at the feature resolution, resizes with
    # cv2 (bilinear, half-pixel centres) and min-maxes again; min-max is a
    # positive affine map, which commutes with bilinear resizing, so its
    # output equals ours. Its `targets` must name every image: a short
    # list silently yields all-zero maps.
    module = model.get_submodule(layer or 'backbone.layer4')
    with GradCAM(model, [module]) as reference:
        theirs = reference(x, [ClassifierOutputTarget(c) for c in classes])
    assert theirs.shape == tuple(ours.shape)
    # A map can be all zeros after the ReLU; most must not be.
    assert (ours.amax(dim=(1, 2)) == 1).sum() >= 2
    np.testing.assert_allclose(ours.numpy(), theirs, atol=1e-5)


@pytest.mark.parametrize('training', [False, True])
def test_gradcam_has_no_side_effects(resnet, training):
    model = resnet.train(training)
    hooks = sum(len(m._forward_hooks) for m in model.modules())
    try:
        with torch.no_grad():
            cams = gradcam_cams(model, torch.randn(2, 3, 64, 64), 'pred')
    finally:
        flag = model.training
        model.eval()
    assert cams.shape == (2, 64, 64) and not cams.requires_grad
    assert 0 <= cams.min() and cams.max() <= 1
    assert flag is training
    assert sum(len(m._forward_hooks) for m in model.modules()) == hooks
    assert all(p.grad is None for p in model.parameters())
    assert all(p.requires_grad for p in model.parameters())


def test_gradcam_on_frozen_model(resnet):
    x = torch.randn(2, 3, 64, 64)
    expected = gradcam_cams(resnet, x, 'pred')
    resnet.requires_grad_(False)
    try:
        cams = gradcam_cams(resnet, x, 'pred')
    finally:
        resnet.requires_grad_(True)
    torch.testing.assert_close(cams, expected)
    assert cams.amax() == 1


def test_gradcam_bad_layer(resnet):
    with pytest.raises(ValueError, match='no submodule'):
        gradcam_cams(resnet, torch.randn(1, 3, 64, 64), 0, target_layer='x')
    with pytest.raises(ValueError, match='not a submodule'):
        gradcam_cams(
            resnet, torch.randn(1, 3, 64, 64), 0, target_layer=nn.ReLU())


# ------------------------------------------------------------ Recipro-CAM


@pytest.mark.parametrize('hand', [True, False])
def test_recipro_cam_1x1_without_softmax_is_original_cam(resnet, hand):
    model = hand_model() if hand else resnet
    x = hand_inputs() if hand else torch.randn(3, 3, 128, 96)
    expected = original_cams(model, x, 'pred')
    got = recipro_cams(
        model, x, 'pred', kernel='1x1', softmax=False, batch_size=5)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize('kernel', ['1x1', 'gaussian'])
def test_recipro_cam_matches_loop_reference(resnet, kernel):
    """The official algorithm, one position at a time (softmax scores)."""
    x = torch.randn(2, 3, 96, 96)  # 3x3 maps
    gaussian = torch.tensor([[1 / 16, 1 / 8, 1 / 16], [1 / 8, 1 / 4, 1 / 8],
                             [1 / 16, 1 / 8, 1 / 16]])
    with torch.no_grad():
        maps = resnet.backbone(x)[-1]
        classes = resnet(x, mode='tensor').argmax(dim=1)
        _, _, h, w = maps.shape
        raw = torch.zeros(2, h, w, dtype=torch.float64)
        for n in range(2):
            for i in range(h):
                for j in range(w):
                    masked = torch.zeros_like(maps[:1])
                    if kernel == '1x1':
                        masked[0, :, i, j] = maps[n, :, i, j]
                    else:
                        for di in (-1, 0, 1):
                            for dj in (-1, 0, 1):
                                if 0 <= i + di < h and 0 <= j + dj < w:
                                    masked[0, :, i + di, j + dj] = (
                                        maps[n, :, i, j] *
                                        gaussian[di + 1, dj + 1])
                    logits = resnet.head(resnet.neck((masked, )))
                    probs = logits.double().softmax(dim=1)
                    raw[n, i, j] = probs[0, classes[n]]
    got = recipro_cams(resnet, x, 'pred', kernel=kernel, batch_size=4)
    torch.testing.assert_close(
        got, normalize_cams(raw, x.shape[-2:]).float(), atol=1e-5, rtol=0)


def test_recipro_cam_rejects_multi_scale_backbones():
    with pytest.raises(ValueError, match='returns 4 maps'):
        recipro_cams(topgap_classifier(), torch.randn(1, 3, 32, 32), 0)
    with pytest.raises(ValueError, match='kernel'):
        recipro_cams(hand_model(), hand_inputs(), 0, kernel='3x3')


# ------------------------------------------------------------- all methods


@pytest.mark.parametrize('method', POST_HOC)
def test_constant_maps_become_zeros(zero_head_resnet, method):
    cams = compute_cams(zero_head_resnet, torch.randn(2, 3, 64, 64), method,
                        0)
    assert cams.shape == (2, 64, 64)
    assert torch.equal(cams, torch.zeros_like(cams))


@pytest.mark.parametrize('method', POST_HOC)
def test_methods_under_no_grad(resnet, method):
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        cams = compute_cams(resnet, x, method, 'pred')
    assert cams.shape == (2, 64, 64) and cams.dtype == torch.float32
    assert cams.device == x.device and not cams.requires_grad
    assert torch.allclose(cams.amax(dim=(1, 2)), torch.ones(2))
    assert cams.min() == 0


def test_method_resolution_and_bad_arguments(resnet):
    assert set(CAM_METHODS) == {
        'topgap', 'bcos', 'cam', 'gradcam', 'recipro_cam', 'gradcam++',
        'xgradcam', 'layercam', 'eigencam', 'scorecam', 'center_gaussian',
        'uniform'
    }
    assert resolve_method(resnet) == 'gradcam'
    assert resolve_method(topgap_classifier()) == 'topgap'
    x = torch.randn(1, 3, 64, 64)
    with pytest.raises(TypeError, match='TopGAPClsHead'):
        compute_cams(resnet, x, 'topgap', 0)
    with pytest.raises(
            ValueError,
            match=r"\['bcos', 'cam', 'center_gaussian', 'eigencam', "
            r"'gradcam', 'gradcam\+\+', 'layercam', 'recipro_cam', "
            r"'scorecam', 'topgap', 'uniform', 'xgradcam'\]"):
        compute_cams(resnet, x, 'score_cam', 0)
    for method in POST_HOC:
        with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
            compute_cams(resnet, x[0], method, 0)
    with pytest.raises(TypeError, match='backbone'):
        compute_cams(nn.Linear(2, 2), x, 'gradcam', 0)


# ---------------------------------------------------------------- figures


def test_overlay_and_grid(tmp_path):
    image = np.full((8, 8, 3), 100, np.uint8)
    cam = np.zeros((8, 8))
    cam[0, 0] = 1.
    blended = overlay_cam(image, cam, alpha=0.5)
    # jet maps 0 to dark blue (0, 0, 127.5) and 1 to dark red.
    np.testing.assert_array_equal(blended[1, 1], [50, 50, 114])
    assert blended[0, 0, 0] > blended[0, 0, 2]
    with pytest.raises(ValueError, match='CAM'):
        overlay_cam(image, cam[:4])
    out = str(tmp_path / 'sub' / 'grid.png')
    save_cam_grid([image] * 2, {
        'a': [cam, cam],
        'b': [cam, cam]
    },
                  out,
                  masks=[np.ones((8, 8), np.uint8)] * 2,
                  row_titles=['x', 'y'])
    with open(out, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    with pytest.raises(ValueError, match='1 maps for 2 images'):
        save_cam_grid([image] * 2, {'a': [cam]}, out)


def test_inputs_to_images_undoes_preprocessing(resnet):
    raw = torch.randint(0, 256, (1, 3, 4, 4), dtype=torch.uint8)
    data = resnet.data_preprocessor({'inputs': list(raw)}, False)
    images = inputs_to_images(data['inputs'], resnet.data_preprocessor)
    # The config's preprocessor turns BGR into RGB.
    np.testing.assert_array_equal(images[0],
                                  raw[0].flip(0).permute(1, 2, 0).numpy())


# ----------------------------------------------------- --show-dir and hook


def small_dataset(num: int):
    cfg = Config.fromfile(STANDARD_CONFIG).test_dataloader.dataset
    cfg.update(img_size=32, num_samples=num)
    return DATASETS.build(cfg)


def test_hook_draws_every_interval_th_image(resnet, tmp_path):
    dataset = small_dataset(5)
    runner = SimpleNamespace(
        model=resnet,
        test_loop=SimpleNamespace(dataloader=SimpleNamespace(
            dataset=dataset)))
    hook = CAMVisualizationHook(
        out_dir=str(tmp_path), interval=3, method='recipro_cam')
    hook.before_test(runner)
    for batch_idx, part in enumerate([range(0, 2), range(2, 5)]):
        batch = pseudo_collate([dataset[i] for i in part])
        with torch.no_grad():
            outputs = resnet.test_step(batch)
            hook.after_test_iter(runner, batch_idx, batch, outputs)
    assert sorted(os.listdir(tmp_path)) == ['0.png', '3.png']
    with pytest.raises(ValueError, match='method'):
        CAMVisualizationHook(out_dir=str(tmp_path), method='nope')


def load_tool(path: str):
    """A script of tools/ as a module: run in-process, since a subprocess
    would import torch and MMPretrain again (seconds on 2 cores)."""
    spec = importlib.util.spec_from_file_location(
        'tool_' + osp.basename(path)[:-3], osp.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_test_tool_show_dir_writes_one_png_per_image(tmp_path, monkeypatch):
    test_tool = load_tool('tools/test.py')
    checkpoint = str(tmp_path / 'standard.pth')
    torch.save({
        'state_dict': resnet18_classifier().state_dict(),
        'meta': {}
    }, checkpoint)
    show_dir = tmp_path / 'show'
    monkeypatch.setattr(sys, 'argv', [
        'test.py', STANDARD_CONFIG, checkpoint, '--work-dir',
        str(tmp_path / 'work'), '--show-dir',
        str(show_dir), '--no-pin-memory', '--cfg-options',
        'test_dataloader.dataset.num_samples=7',
        'test_dataloader.dataset.img_size=32', 'test_dataloader.batch_size=3',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ])
    test_tool.main()
    # GradCAM (the 'auto' method of a standard model) inside the test
    # loop's no_grad, one overlay per image and nothing else.
    assert sorted(os.listdir(show_dir)) == [f'{i}.png' for i in range(7)]


def test_vis_cam_tool_names_missing_files(tmp_path):
    vis_cam = load_tool('tools/visualization/vis_cam.py')
    missing = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError, match='checkpoint file not found'):
        vis_cam.main(
            [STANDARD_CONFIG, missing, '--out',
             str(tmp_path / 'fig.png')])
