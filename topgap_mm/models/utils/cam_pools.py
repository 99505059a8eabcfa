"""The family of CAM poolings Top-GAP belongs to, for the head's ``pool``.

Each turns class maps (N, C, H, W) into scores (N, C). Top-GAP (the mean of
the k largest values, :class:`~.top_gap.TopGAP`) lies between global max
pooling (k = 1) and global average pooling (k = H*W); WILDCAT adds the k
lowest values with a weight; log-sum-exp pooling moves smoothly from the
mean (r -> 0) to the maximum (r -> infinity). All are registered in
MMPretrain's ``MODELS``::

    head=dict(type='TopGAPClsHead', ..., pool=dict(type='WildcatPool',
              kmax=0.1, kmin=0.1, alpha=0.7))
"""
import math
from typing import Optional, Union

import torch
import torch.nn as nn

from mmpretrain.registry import MODELS
from .top_gap import check_k, resolve_k


def _check_maps(cam: torch.Tensor, name: str) -> None:
    if cam.dim() != 4:
        raise ValueError(f'{name} expects maps of shape (N, C, H, W), got '
                         f'shape {tuple(cam.shape)}.')


@MODELS.register_module()
class GlobalMaxPool(nn.Module):
    """The maximum of each map (Top-GAP with ``k=1``); the gradient goes to
    one position per map.

    Examples:
        >>> import torch
        >>> GlobalMaxPool()(torch.arange(8.).view(1, 2, 2, 2))
        tensor([[3., 7.]])
    """

    def forward(self, cam: torch.Tensor) -> torch.Tensor:
        _check_maps(cam, 'GlobalMaxPool')
        return cam.flatten(2).amax(dim=2)


@MODELS.register_module()
class GlobalAvgPool(nn.Module):
    """The mean of each map (Top-GAP with ``k=H*W``): a standard CAM
    network's GAP moved behind the 1x1 convolution.

    Examples:
        >>> import torch
        >>> GlobalAvgPool()(torch.arange(8.).view(1, 2, 2, 2))
        tensor([[1.5000, 5.5000]])
    """

    def forward(self, cam: torch.Tensor) -> torch.Tensor:
        _check_maps(cam, 'GlobalAvgPool')
        return cam.flatten(2).mean(dim=2)


@MODELS.register_module()
class WildcatPool(nn.Module):
    """WILDCAT pooling (Durand et al., CVPR 2017): the mean of the ``kmax``
    highest values plus ``alpha`` times the mean of the ``kmin`` lowest.

    As in the authors' code (``durandtibo/wildcat.pytorch``), the lowest
    values are added, not subtracted: a class is supported by strong
    positive and penalised by strong negative evidence. ``kmin=0`` is
    Top-GAP with ``k=kmax``.

    Args:
        kmax (int | float): Highest positions, counted or as a fraction of
            the map (see :func:`~.top_gap.resolve_k`).
        kmin (int | float, optional): Lowest positions, the same way; 0
            leaves them out; None takes ``kmax``. Defaults to None.
        alpha (float): Weight of the lowest values. Defaults to 1.

    Examples:
        >>> import torch
        >>> cam = torch.arange(8.).view(1, 2, 2, 2)
        >>> WildcatPool(kmax=1, kmin=1, alpha=0.5)(cam)  # max + min / 2
        tensor([[3., 9.]])
    """

    def __init__(self,
                 kmax: Union[int, float],
                 kmin: Optional[Union[int, float]] = None,
                 alpha: float = 1.0) -> None:
        super().__init__()
        check_k(kmax)
        kmin = kmax if kmin is None else kmin
        if kmin != 0:
            check_k(kmin)
        if isinstance(alpha, bool) or not isinstance(
                alpha, (int, float)) or not math.isfinite(alpha):
            raise ValueError(f'`alpha` must be a finite number, got {alpha!r}.')
        self.kmax, self.kmin, self.alpha = kmax, kmin, float(alpha)

    def forward(self, cam: torch.Tensor) -> torch.Tensor:
        _check_maps(cam, 'WildcatPool')
        height, width = cam.shape[-2:]
        flat = cam.flatten(2)
        kmax = resolve_k(self.kmax, height, width)
        score = flat.topk(kmax, dim=2, sorted=False).values.mean(dim=2)
        if self.kmin == 0 or self.alpha == 0:
            return score
        kmin = resolve_k(self.kmin, height, width)
        low = flat.topk(kmin, dim=2, largest=False, sorted=False).values
        return score + self.alpha * low.mean(dim=2)

    def extra_repr(self) -> str:
        return f'kmax={self.kmax}, kmin={self.kmin}, alpha={self.alpha}'


@MODELS.register_module()
class LogSumExpPool(nn.Module):
    """Log-sum-exp pooling: ``log(mean(exp(r * x))) / r`` of each map.

    The mean for ``r -> 0``, the maximum for ``r -> infinity``; every
    position gets gradient, weighted by its softmax share ``exp(r * x)``.

    Args:
        r (float): Sharpness, positive. Defaults to 5.

    Examples:
        >>> import torch
        >>> LogSumExpPool(r=5.0)(torch.arange(8.).view(1, 2, 2, 2))
        tensor([[2.7241, 6.7241]])
    """

    def __init__(self, r: float = 5.0) -> None:
        super().__init__()
        if isinstance(r, bool) or not isinstance(
                r, (int, float)) or not 0 < r < math.inf:
            raise ValueError(f'`r` must be a positive finite number, got '
                             f'{r!r}.')
        self.r = float(r)

    def forward(self, cam: torch.Tensor) -> torch.Tensor:
        _check_maps(cam, 'LogSumExpPool')
        flat = cam.flatten(2)
        return (torch.logsumexp(self.r * flat, dim=2) -
                math.log(flat.shape[2])) / self.r

    def extra_repr(self) -> str:
        return f'r={self.r}'


@MODELS.register_module()
class PerImageTopGAP(nn.Module):
    """Top-GAP whose k comes from each map's own evidence.

    The paper's outlook: one k for all images fits objects of one size. Here
    each image's k for each class is the number of positions whose value is
    at least ``ratio`` of the way from the map's minimum to its maximum (the
    positions that look like the object), clamped to ``[k_min, k_max]``;
    the score is the mean of those k largest values. k is a count, so no
    gradient flows through it: as in Top-GAP, the gradient reaches exactly
    the selected positions, each with weight 1/k. With ``k_min == k_max``
    this is :class:`~.top_gap.TopGAP`.

    Args:
        ratio (float): Where between the map's minimum (0) and maximum (1)
            a position counts as evidence, in (0, 1]. Defaults to 0.5.
        k_min (int | float): Fewest positions (count or fraction of the
            map, see :func:`~.top_gap.resolve_k`). Defaults to 1.
        k_max (int | float): Most positions, the same way. Defaults to 0.5.

    Examples:
        >>> import torch
        >>> cam = torch.arange(8.).view(1, 2, 2, 2)
        >>> # per map, the positions at least halfway from its min to its max
        >>> PerImageTopGAP(ratio=0.5, k_min=1, k_max=4)(cam)
        tensor([[2.5000, 6.5000]])
    """

    def __init__(self,
                 ratio: float = 0.5,
                 k_min: Union[int, float] = 1,
                 k_max: Union[int, float] = 0.5) -> None:
        super().__init__()
        if isinstance(ratio, bool) or not isinstance(
                ratio, (int, float)) or not 0 < ratio <= 1:
            raise ValueError(f'`ratio` must lie in (0, 1], got {ratio!r}.')
        check_k(k_min)
        check_k(k_max)
        self.ratio, self.k_min, self.k_max = float(ratio), k_min, k_max

    def per_image_k(self, cam: torch.Tensor) -> torch.Tensor:
        """(N, C) int64: the k of every map."""
        _check_maps(cam, 'PerImageTopGAP')
        height, width = cam.shape[-2:]
        low = resolve_k(self.k_min, height, width)
        high = resolve_k(self.k_max, height, width)
        if low > high:
            raise ValueError(
                f'`k_min`={self.k_min} gives {low} positions, more than '
                f'`k_max`={self.k_max} ({high}) on a {height}x{width} map.')
        flat = cam.detach().flatten(2)
        lo, hi = flat.amin(dim=2, keepdim=True), flat.amax(dim=2,
                                                           keepdim=True)
        count = (flat >= lo + self.ratio * (hi - lo)).sum(dim=2)
        return count.clamp(low, high)

    def forward(self, cam: torch.Tensor) -> torch.Tensor:
        k = self.per_image_k(cam)
        ordered = cam.flatten(2).sort(dim=2, descending=True).values
        sums = ordered.cumsum(dim=2).gather(2, (k - 1).unsqueeze(2))
        return sums.squeeze(2) / k.to(cam.dtype)

    def extra_repr(self) -> str:
        return (f'ratio={self.ratio}, k_min={self.k_min}, '
                f'k_max={self.k_max}')
