"""PreActResNet, and every model config under configs/topgap and
configs/standard: each builds (no weights loaded or initialised, nothing
downloaded), runs, and each Top-GAP config has a standard twin that trains
on the same data with the same schedule."""
import functools
import glob
import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmpretrain.registry import MODELS
from topgap_mm.study.spec import check_twin

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOPGAP_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs/topgap/*.py')))
STANDARD_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs/standard/*.py')))
ALL_CONFIGS = TOPGAP_CONFIGS + STANDARD_CONFIGS
# Largest input used by the forward tests; anything smaller is preferred.
SMALL = 64


def _rel(path):
    return osp.relpath(path, ROOT)


def _load_tool():
    path = osp.join(ROOT, 'tools/analysis_tools/count_params.py')
    spec = importlib.util.spec_from_file_location('count_params', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


count_params = _load_tool()


@functools.lru_cache(maxsize=None)
def load_cfg(path):
    return Config.fromfile(path)


@functools.lru_cache(maxsize=None)
def build(path):
    """The classifier of a config, built only: ``init_weights`` (which would
    fetch the pretrained checkpoint) is never called."""
    torch.manual_seed(0)
    return count_params.build_model(load_cfg(path)).eval()


def num_params(module):
    return sum(p.numel() for p in module.parameters())


def num_classes(cfg):
    return count_params.config_num_classes(cfg)


@functools.lru_cache(maxsize=None)
def fast_size(path):
    """A fast input size for a config.

    The training crop if it is small, else 64x64, raised (doubling) until
    the CAM holds ``k`` positions. mmpretrain's VGG with its classifier
    needs the full 224x224 (its first linear layer expects a 7x7 map).
    """
    cfg = load_cfg(path)
    crop = count_params.input_size(cfg)
    if cfg.model.backbone.get('num_classes', -1) > 0:
        return crop
    size = min(crop, SMALL)
    k = cfg.model.get('head', {}).get('k')
    if isinstance(k, int):
        model = build(path)
        while True:
            with torch.no_grad():
                cam = model.head.forward_cam(
                    model.extract_feat(torch.zeros(1, 3, size, size)))
            if cam.shape[-2] * cam.shape[-1] >= k:
                break
            size *= 2
    return size


# ------------------------------------------------------------ PreActResNet


def test_preact_resnet18_param_count_matches_reference():
    backbone = MODELS.build(dict(type='PreActResNet', depth=18))
    linear = torch.nn.Linear(512, 10)
    total = num_params(backbone) + num_params(linear)
    assert abs(total - 11.17e6) < 0.01e6
    # Exactly the reference (kuangliu/pytorch-cifar) plus the final BN.
    assert total == 11_171_146 + 2 * 512
    ref = MODELS.build(dict(type='PreActResNet', depth=18, final_norm=False))
    assert num_params(ref) + num_params(linear) == 11_171_146


def test_preact_resnet34_builds():
    backbone = MODELS.build(dict(type='PreActResNet', depth=34))
    assert abs(num_params(backbone) + 5130 - 21.28e6) < 0.01e6


@pytest.mark.parametrize('out_indices,expected', [
    ((3, ), [(512, 4)]),
    ((0, ), [(64, 32)]),
    ((0, 1, 2, 3), [(64, 32), (128, 16), (256, 8), (512, 4)]),
    ((1, 3), [(128, 16), (512, 4)]),
    (-1, [(512, 4)]),
])
def test_preact_resnet_out_indices(out_indices, expected):
    backbone = MODELS.build(
        dict(type='PreActResNet', depth=18, out_indices=out_indices)).eval()
    with torch.no_grad():
        outs = backbone(torch.randn(2, 3, 32, 32))
    assert isinstance(outs, tuple)
    assert [(o.shape[1], o.shape[2]) for o in outs] == expected
    assert all(o.shape[0] == 2 and o.shape[2] == o.shape[3] for o in outs)


def test_preact_resnet_final_bn_relu_only_on_last_stage():
    torch.manual_seed(0)
    backbone = MODELS.build(
        dict(type='PreActResNet', depth=18, out_indices=(2, 3))).eval()
    with torch.no_grad():
        stage2, stage3 = backbone(torch.randn(2, 3, 32, 32))
    assert (stage3 >= 0).all()  # after the final BN + ReLU
    assert (stage2 < 0).any()  # a raw residual sum
    raw = MODELS.build(
        dict(type='PreActResNet', depth=18, out_indices=(3, ),
             final_norm=False)).eval()
    assert raw.final_norm is None
    raw.load_state_dict(
        {k: v
         for k, v in backbone.state_dict().items()
         if not k.startswith('final_norm')})
    with torch.no_grad():
        (raw3, ) = raw(torch.randn(2, 3, 32, 32))
    assert (raw3 < 0).any()


def test_preact_resnet_frozen_stages_and_norm_eval():
    backbone = MODELS.build(
        dict(type='PreActResNet', depth=18, frozen_stages=1))
    backbone.train()
    assert not any(p.requires_grad for p in backbone.conv1.parameters())
    assert not any(p.requires_grad for p in backbone.layer1.parameters())
    assert not backbone.layer1[0].bn1.training
    assert all(p.requires_grad for p in backbone.layer2.parameters())
    assert backbone.layer2[0].bn1.training
    backbone = MODELS.build(
        dict(type='PreActResNet', depth=18, norm_eval=True))
    backbone.train()
    bns = [m for m in backbone.modules()
           if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)


@pytest.mark.parametrize('kwargs', [
    dict(depth=50),
    dict(depth=18, out_indices=(4, )),
    dict(depth=18, frozen_stages=5),
    dict(depth=18, strides=(1, 2, 2)),
])
def test_preact_resnet_rejects_bad_arguments(kwargs):
    with pytest.raises((KeyError, ValueError)):
        MODELS.build(dict(type='PreActResNet', **kwargs))


# ----------------------------------------------------------------- configs


def test_configs_exist():
    names = {osp.basename(p) for p in TOPGAP_CONFIGS}
    for name in [
            'resnet18_cub_k256.py', 'resnet50_cub_k256.py',
            'vgg11bn_cub_k256.py', 'efficientnet-b0_cub_k256.py',
            'convnext-tiny_cub_k256.py', 'densenet121_cub_k256.py'
    ]:
        assert name in names
    assert any(n.startswith('preact-resnet18_cifar10_k') for n in names)


@pytest.mark.parametrize('path', ALL_CONFIGS, ids=_rel)
def test_config_forward(path):
    cfg = load_cfg(path)
    model = build(path)
    size = fast_size(path)
    with torch.no_grad():
        out = model(torch.randn(2, 3, size, size), mode='tensor')
    assert out.shape == (2, num_classes(cfg))
    assert torch.isfinite(out).all()


@pytest.mark.parametrize('path', TOPGAP_CONFIGS, ids=_rel)
def test_topgap_neck_output(path):
    cfg = load_cfg(path)
    model = build(path)
    assert cfg.model.neck.type == 'TopGAPFPN'
    assert cfg.model.head.type == 'TopGAPClsHead'
    in_channels = list(cfg.model.neck.in_channels)
    assert len(in_channels) in (3, 4)  # the paper: "the last 3 or 4 maps"
    size = fast_size(path)
    with torch.no_grad():
        feats = model.backbone(torch.randn(2, 3, size, size))
        levels = model.neck(feats)
        cam = model.head.forward_cam(levels)
    used = feats[-len(in_channels):]
    assert [f.shape[1] for f in used] == in_channels
    # The head fuses the per-level maps (fuse=False) at the finest size.
    assert [tuple(x.shape[-2:]) for x in levels] == [
        tuple(f.shape[-2:]) for f in used]
    assert all(x.shape[:2] == (2, 256) for x in levels)
    largest = max((f.shape[-2:] for f in used), key=lambda s: s[0] * s[1])
    assert cam.shape == (2, cfg.model.head.num_classes, *largest)
    assert cfg.model.head.in_channels == 256


@pytest.mark.parametrize('path', TOPGAP_CONFIGS, ids=_rel)
def test_k_fits_the_cam_at_training_size(path):
    """At the training crop, the CAM holds at least k positions."""
    cfg = load_cfg(path)
    k = cfg.model.head.k
    if isinstance(k, float):
        assert 0 < k <= 1
        return
    size = fast_size(path)
    model = build(path)
    with torch.no_grad():
        cam = model.head.forward_cam(
            model.extract_feat(torch.zeros(1, 3, size, size)))
    stride = size // cam.shape[-1]
    crop = count_params.input_size(cfg)
    assert (crop // stride)**2 >= k
    if '_cub' in osp.basename(path):
        assert crop == 224 and k == 256


@pytest.mark.parametrize('path', TOPGAP_CONFIGS, ids=_rel)
def test_standard_twin_shares_data_and_schedule(path):
    twin = count_params.twin_path(path, osp.join(ROOT, 'configs'))
    assert osp.exists(twin), f'no standard twin {_rel(twin)}'
    check_twin(path, twin)
    cfg, tcfg = load_cfg(path), load_cfg(twin)
    assert tcfg.model.head.type != 'TopGAPClsHead'
    assert num_classes(cfg) == num_classes(tcfg)
    # Same backbone architecture, only the outputs taken differ.
    # timm's features-only model is the Top-GAP side of a TIMMBackbone pair.
    ignore = {
        'out_indices', 'num_classes', 'gap_before_final_norm', 'features_only'
    }
    strip = {k: v for k, v in cfg.model.backbone.items() if k not in ignore}
    tstrip = {
        k: v
        for k, v in tcfg.model.backbone.items() if k not in ignore
    }
    assert strip == tstrip


@pytest.mark.parametrize(
    'path', [p for p in ALL_CONFIGS if '_cub' in osp.basename(p)], ids=_rel)
def test_cub_configs_use_imagenet_pretrained_backbones(path):
    cfg = load_cfg(path)
    init = cfg.model.backbone.init_cfg
    assert init.type == 'Pretrained' and init.prefix == 'backbone'
    assert init.checkpoint.startswith(
        'https://download.openmmlab.com/mmclassification/')
    assert cfg.train_dataloader.dataset.type == 'CUBWithMasks'
    assert cfg.train_dataloader.batch_size == 32


def test_cifar_configs():
    for path in glob.glob(osp.join(ROOT, 'configs/*/preact-resnet18_*.py')):
        cfg = load_cfg(path)
        assert cfg.model.backbone.type == 'PreActResNet'
        assert cfg.train_dataloader.dataset.type == 'CIFAR10'
        assert cfg.train_dataloader.batch_size == 128
        assert cfg.optim_wrapper.optimizer.lr == 0.1


# ------------------------------------------------- parameter counts (Tab. 1)


def _count_at(path, classes):
    cfg = Config.fromfile(path)
    count_params.set_num_classes(cfg, classes)
    return num_params(count_params.build_model(cfg))


def test_table1_vgg11bn():
    topgap = osp.join(ROOT, 'configs/topgap/vgg11bn_cub_k256.py')
    assert round(_count_at(topgap, 1000) / 1e6, 2) == 12.43
    twin = osp.join(ROOT, 'configs/standard/vgg11bn_cub.py')
    assert round(_count_at(twin, 1000) / 1e6, 2) == 132.87


def test_table1_efficientnet_b0():
    topgap = osp.join(ROOT, 'configs/topgap/efficientnet-b0_cub_k256.py')
    model = build(topgap)
    # The final 1x1 conv (layer 6) of mmpretrain's EfficientNet is built but
    # unused: with it removed, 53 classes give the paper's 4.75M.
    layer6 = num_params(model.backbone.layers[6])
    assert layer6 == 412_160
    assert round((_count_at(topgap, 53) - layer6) / 1e6, 2) == 4.75
    unused = count_params.count_unused(build_fresh(topgap), 64)
    assert unused == layer6
    twin = osp.join(ROOT, 'configs/standard/efficientnet-b0_cub.py')
    assert round(_count_at(twin, 53) / 1e6, 2) == 4.08


def test_table1_densenet121_unmodified():
    twin = osp.join(ROOT, 'configs/standard/densenet121_cub.py')
    assert round(_count_at(twin, 1000) / 1e6, 2) == 7.98


def build_fresh(path):
    return count_params.build_model(Config.fromfile(path))


def test_count_params_tool_markdown(capsys):
    count_params.main(['--no-unused', '--format', 'markdown',
                       '--num-classes', '200'])
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith('|')]
    assert lines[0].startswith('| model | classes |')
    rows = {line.split('|')[1].strip(): line for line in lines[2:]}
    assert len(rows) == len(TOPGAP_CONFIGS)
    # At 200 classes no paper number applies (the paper counted 1000/53).
    assert '| 12.23M | - |' in rows['vgg11bn_cub']
