"""EfficientTopGAPFPN, its configs, and TopGAPFPN(fuse=False), the exact
rewrite of the paper's neck + head (1x1 head before the upsampling)."""
import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from topgap_mm.cam import compute_cams
from topgap_mm.models.necks import EfficientTopGAPFPN, TopGAPFPN
from topgap_mm.study.spec import check_twin

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs/topgap_efficient/resnet18_fashionbg_k16.py')
PAPER = osp.join(ROOT, 'configs/topgap/resnet18_fashionbg_k16.py')
# Each efficient config and the paper config it varies.
EFFICIENT = {
    CONFIG: PAPER,
    osp.join(ROOT, 'configs/topgap_efficient/resnet18_cub_k256.py'):
    osp.join(ROOT, 'configs/topgap/resnet18_cub_k256.py'),
}
# ResNet-18 maps of a 64x64 input: strides 4/8/16/32.
SHAPES = [(64, 16), (128, 8), (256, 4), (512, 2)]


def _load(name, rel):
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, rel))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _maps(batch=2):
    torch.manual_seed(0)
    return tuple(torch.randn(batch, c, s, s) for c, s in SHAPES)


def _build(path):
    cfg = Config.fromfile(path)
    torch.manual_seed(0)
    return MODELS.build(cfg.model), cfg


def test_output_at_finest_resolution():
    neck = EfficientTopGAPFPN(in_channels=[64, 128, 256, 512]).eval()
    (out, ) = neck(_maps())
    assert out.shape == (2, 64, 16, 16)
    # Extra, earlier backbone maps are ignored as by TopGAPFPN.
    (again, ) = neck((torch.randn(2, 3, 32, 32), ) + _maps())
    torch.testing.assert_close(again, out)


def test_smaller_than_paper_neck():
    channels = [64, 128, 256, 512]
    ours = sum(p.numel()
               for p in EfficientTopGAPFPN(channels).parameters())
    paper = sum(p.numel() for p in TopGAPFPN(channels).parameters())
    assert ours < paper / 20


def test_equal_sizes_are_summed_without_resampling():
    neck = EfficientTopGAPFPN(in_channels=[8, 8], out_channels=4).eval()
    maps = (torch.randn(1, 8, 5, 5), torch.randn(1, 8, 5, 5))
    (out, ) = neck(maps)
    expected = neck.convs[0](maps[0]) + neck.convs[1](maps[1])
    torch.testing.assert_close(out, expected)


@pytest.mark.parametrize('in_channels', [64, [], [64, 128, 256, 999]])
def test_bad_in_channels(in_channels):
    with pytest.raises(ValueError, match='in_channels'):
        neck = EfficientTopGAPFPN(in_channels=in_channels)
        neck(_maps())


def test_maps_must_come_finest_first():
    neck = EfficientTopGAPFPN(in_channels=[8, 8])
    with pytest.raises(ValueError, match='finest first'):
        neck((torch.randn(1, 8, 4, 4), torch.randn(1, 8, 8, 8)))


def test_config_cam_at_finest_map_and_training_losses():
    model, _ = _build(CONFIG)
    inputs = torch.randn(2, 3, 64, 64)
    model.eval()
    with torch.no_grad():
        feats = model.backbone(inputs)
        cam = model.head.forward_cam(model.neck(feats))
        maps = compute_cams(model, inputs, method='auto', target='pred')
    assert cam.shape == (2, 4, *feats[0].shape[-2:])
    assert maps.shape == (2, 64, 64)
    model.train()
    samples = [DataSample().set_gt_label(i) for i in (0, 3)]
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_l1'}
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in model.neck.parameters())


@pytest.mark.parametrize('path', sorted(EFFICIENT), ids=osp.basename)
def test_config_has_standard_twin(path):
    count_params = _load('count_params',
                         'tools/analysis_tools/count_params.py')
    twin = count_params.twin_path(path, osp.join(ROOT, 'configs'))
    assert osp.exists(twin)
    cfg, tcfg, paper = (
        Config.fromfile(p) for p in (path, twin, EFFICIENT[path]))
    check_twin(path, twin)
    for key in ('train_dataloader', 'optim_wrapper', 'train_cfg',
                'param_scheduler', 'val_dataloader', 'test_dataloader'):
        assert cfg.get(key) == paper.get(key), key
    assert cfg.model.head.k == paper.model.head.k
    assert cfg.model.neck.type == 'EfficientTopGAPFPN'
    assert cfg.model.head.in_channels == cfg.model.neck.out_channels


@pytest.mark.parametrize('out_channels', [256, 2])
def test_unfused_neck_gives_the_cam_and_gradients_of_the_fused_one(
        out_channels):
    """With fuse=False the head fuses the levels: after its 1x1
    convolution when it has at most a quarter as many classes (4) as channels
    (256), before it otherwise (2 channels); both give the paper's CAM and
    gradients."""
    cfg = Config.fromfile(PAPER)
    cfg.model.neck.out_channels = cfg.model.head.in_channels = out_channels
    cfg.model.neck.fuse = True
    torch.manual_seed(0)
    fused = MODELS.build(cfg.model)
    cfg.model.neck.fuse = False
    levels = MODELS.build(cfg.model)
    levels.load_state_dict(fused.state_dict())
    inputs = torch.randn(2, 3, 64, 64)
    samples = [DataSample().set_gt_label(i) for i in (1, 2)]

    def run(model):
        model.train()
        feats = model.neck(model.backbone(inputs))
        cam = model.head.forward_cam(feats)
        sum(model.head.loss(feats, samples).values()).backward()
        grads = {n: p.grad for n, p in model.named_parameters()}
        return cam.detach(), feats, grads

    cam, feats, grads = run(fused)
    cam2, feats2, grads2 = run(levels)
    assert len(feats) == 1 and len(feats2) == 4
    assert cam.shape == cam2.shape == (2, 4, 16, 16)
    torch.testing.assert_close(cam2, cam, rtol=1e-4, atol=1e-5)
    for name, grad in grads.items():
        torch.testing.assert_close(
            grads2[name], grad, rtol=1e-3, atol=1e-5, msg=name)
