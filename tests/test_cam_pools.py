"""The CAM pooling family: limits, a reference WILDCAT, gradients, the head's
`pool` option and bad arguments."""
import math

import pytest
import torch

from mmpretrain.registry import MODELS
from topgap_mm.models.heads.topgap_head import TopGAPClsHead
from topgap_mm.models.utils import (CAMAvgPool, CAMMaxPool,
                                    LogSumExpPool, TopGAP, WildcatPool)


def wildcat_reference(x, kmax, kmin, alpha):
    """durandtibo/wildcat.pytorch `WildcatPool2dFunction.forward`, ported
    (sort descending, narrow to the first kmax and the last kmin)."""

    def get_positive_k(k, n):
        if k <= 0:
            return 0
        elif k < 1:
            return round(k * n)
        elif k > n:
            return int(n)
        return int(k)

    b, c, h, w = x.shape
    n = h * w
    kmax, kmin = get_positive_k(kmax, n), get_positive_k(kmin, n)
    ordered, _ = x.view(b, c, n).sort(2, True)
    out = ordered.narrow(2, 0, kmax).sum(2).div_(kmax)
    if kmin > 0 and alpha != 0:
        out = out.add(ordered.narrow(2, n - kmin, kmin).sum(2).mul_(alpha)
                      .div_(kmin))
    return out


CAM = torch.randn(3, 5, 7, 6, generator=torch.Generator().manual_seed(0),
                  dtype=torch.float64)


def test_max_and_mean_are_the_limits_of_the_family():
    flat = CAM.flatten(2)
    assert torch.equal(CAMMaxPool()(CAM), flat.amax(2))
    assert torch.allclose(CAMAvgPool()(CAM), flat.mean(2))
    assert torch.allclose(TopGAP(1)(CAM), CAMMaxPool()(CAM))
    assert torch.allclose(TopGAP(42)(CAM), CAMAvgPool()(CAM))
    assert torch.allclose(WildcatPool(1, 0)(CAM), CAMMaxPool()(CAM))
    assert torch.allclose(WildcatPool(9, 0)(CAM), TopGAP(9)(CAM))
    assert torch.allclose(LogSumExpPool(1e-6)(CAM), flat.mean(2), atol=1e-5)
    # r = 200: within log(42) / 200 of the maximum, from below.
    gap = CAMMaxPool()(CAM) - LogSumExpPool(200)(CAM)
    assert (gap >= 0).all() and (gap <= math.log(42) / 200 + 1e-12).all()


@pytest.mark.parametrize('kmax,kmin,alpha', [(1, 1, 1.0), (5, 3, 0.7),
                                             (0.2, 0.1, 0.6), (7, 0, 1.0),
                                             (0.5, 0.5, -0.3)])
def test_wildcat_equals_the_authors_code(kmax, kmin, alpha):
    ours = WildcatPool(kmax, kmin, alpha)(CAM)
    assert torch.allclose(ours, wildcat_reference(CAM.clone(), kmax, kmin,
                                                  alpha))


@pytest.mark.parametrize('pool', [
    CAMMaxPool(), CAMAvgPool(), TopGAP(4), WildcatPool(4, 2, 0.5),
    LogSumExpPool(3.0)
])
def test_gradients_match_finite_differences(pool):
    # Distinct values: no ties at the top-k boundary, where the gradient
    # of a selection is not defined.
    x = torch.randperm(2 * 3 * 5 * 4, generator=torch.Generator()
                       .manual_seed(1)).double().view(2, 3, 5, 4) / 10
    assert torch.autograd.gradcheck(pool, (x.requires_grad_(), ))


@pytest.mark.parametrize('build,match', [
    (lambda: WildcatPool(0), 'positive number'),
    (lambda: WildcatPool(3, 1.5), 'fraction'),
    (lambda: WildcatPool(3, 1, float('nan')), '`alpha`'),
    (lambda: LogSumExpPool(0), '`r`'),
    (lambda: LogSumExpPool(float('inf')), '`r`'),
    (lambda: CAMMaxPool()(torch.zeros(2, 3)), r'\(N, C, H, W\)'),
    (lambda: WildcatPool(50)(CAM), 'exceeds the CAM area'),
])
def test_bad_arguments_are_named(build, match):
    with pytest.raises((ValueError, TypeError), match=match):
        build()


def test_head_takes_a_pool_config_and_k_still_works():
    feats = (torch.randn(2, 8, 6, 6), )
    head = TopGAPClsHead(num_classes=3, in_channels=8,
                         pool=dict(type='WildcatPool', kmax=4, kmin=2,
                                   alpha=0.7))
    assert isinstance(head.pool, WildcatPool) and head.k is None
    cam = head.forward_cam(feats)
    assert torch.allclose(head(feats), WildcatPool(4, 2, 0.7)(cam))
    old = TopGAPClsHead(num_classes=3, in_channels=8, k=4)
    assert isinstance(old.pool, TopGAP) and old.k == 4
    same = TopGAPClsHead(num_classes=3, in_channels=8,
                         pool=dict(type='TopGAP', k=4))
    same.load_state_dict(old.state_dict())
    assert torch.equal(same(feats), old(feats))
    for name in ('CAMMaxPool', 'CAMAvgPool', 'TopGAP', 'WildcatPool',
                 'LogSumExpPool'):
        assert MODELS.get(name) is not None
    with pytest.raises(ValueError, match='also set k=None'):
        TopGAPClsHead(num_classes=3, in_channels=8, k=4,
                      pool=dict(type='CAMMaxPool'))
    with pytest.raises(ValueError, match='exactly one'):
        TopGAPClsHead(num_classes=3, in_channels=8)


def test_per_image_k_follows_each_maps_evidence():
    from topgap_mm.models.utils import PerImageTopGAP
    cam = torch.zeros(2, 1, 6, 6, dtype=torch.float64)
    cam[0, 0, :1, :5] = 1.0  # a 5-position object
    cam[1, 0, :3, :4] = 1.0  # a 12-position object
    pool = PerImageTopGAP(ratio=0.5, k_min=2, k_max=10)
    assert pool.per_image_k(cam).tolist() == [[5], [10]]  # 12 clamped
    assert torch.allclose(pool(cam), torch.ones(2, 1, dtype=torch.float64))
    # Its gradient reaches exactly the k selected positions, 1/k each.
    x = cam.clone().requires_grad_()
    pool(x).sum().backward()
    assert (x.grad[0] > 0).sum() == 5 and torch.allclose(
        x.grad[0][x.grad[0] > 0], torch.full((5, ), 0.2, dtype=x.dtype))
    assert (x.grad[1] > 0).sum() == 10
    # A fixed k is Top-GAP.
    assert torch.allclose(PerImageTopGAP(0.5, 7, 7)(CAM), TopGAP(7)(CAM))
    assert torch.autograd.gradcheck(
        PerImageTopGAP(0.3, 2, 0.5),
        (torch.randperm(60, generator=torch.Generator().manual_seed(2))
         .double().view(1, 3, 5, 4).requires_grad_(), ))
    with pytest.raises(ValueError, match='more than `k_max`'):
        PerImageTopGAP(0.5, 20, 10)(cam)
    with pytest.raises(ValueError, match='`ratio`'):
        PerImageTopGAP(0)


@pytest.mark.parametrize('name', ['gmp', 'gap', 'wildcat', 'lse', 'perimage'])
def test_pooling_configs_build_and_train_a_step(name):
    import os.path as osp

    from mmengine.config import Config

    from mmpretrain.structures import DataSample
    from topgap_mm.analysis import build_classifier
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    cfg = Config.fromfile(
        osp.join(root, f'configs/topgap/pooling/resnet18_fashionbg_{name}.py'))
    model = build_classifier(cfg, None).train()
    assert type(model.head.pool).__name__ == cfg.model.head.pool['type']
    inputs = torch.rand(2, 3, 64, 64)
    samples = [DataSample().set_gt_label(i) for i in (0, 3)]
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_l1'}
    sum(losses.values()).backward()
    assert model.head.conv_cam.weight.grad.abs().sum() > 0
