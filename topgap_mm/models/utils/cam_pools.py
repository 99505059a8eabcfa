"""The CAM poolings: Top-GAP and the family it belongs to, for the head's
``pool``.

Each turns class maps (N, C, H, W) into scores (N, C). Top-GAP (the mean of
the k largest values, :class:`TopGAP`) lies between the maximum of each map
(k = 1, :class:`CAMMaxPool`) and its mean (k = H*W, :class:`CAMAvgPool`);
WILDCAT adds the k lowest values with a weight; log-sum-exp pooling moves
smoothly from the mean (r -> 0) to the maximum (r -> infinity); per-image
Top-GAP takes each map's k from its own evidence. All are registered in
MMPretrain's ``MODELS``::

    head=dict(type='TopGAPClsHead', ..., pool=dict(type='WildcatPool',
              kmax=0.1, kmin=0.1, alpha=0.7))
"""
import math
import warnings
from typing import Callable, Optional, Union

import torch
import torch.nn as nn

from mmpretrain.registry import MODELS


def check_k(k: Union[int, float], name: str = 'k') -> None:
    """Check a number of positions on its own, before the CAM size is known.

    Args:
        k (int | float): A count of CAM positions, or a float in (0, 1]: a
            fraction of the CAM area.
        name (str): The parameter's name, for the error. Defaults to 'k'.

    Raises:
        TypeError: If ``k`` is neither an int nor a float.
        ValueError: If an int ``k`` is not positive, or a float ``k`` lies
            outside (0, 1].
    """
    # bool is an int subclass; `k=True` is a config typo, not k=1.
    if isinstance(k, bool) or not isinstance(k, (int, float)):
        raise TypeError(f'`{name}` must be an int (CAM positions) or a float '
                        f'in (0, 1] (fraction of the CAM area), got {k!r}.')
    if isinstance(k, float) and not 0.0 < k <= 1.0:
        raise ValueError(
            f'`{name}`={k} as a float is a fraction of the CAM area and must '
            f'lie in (0, 1]; use an int to count CAM positions.')
    if isinstance(k, int) and k <= 0:
        raise ValueError(
            f'`{name}`={k} must be a positive number of CAM positions.')


def resolve_k(k: Union[int, float],
              height: int,
              width: int,
              name: str = 'k') -> int:
    """Turn a number of positions (see :func:`check_k`) into a count.

    Args:
        k (int | float): An int counts CAM positions; a float in (0, 1] is a
            fraction of the CAM area, rounded to the nearest position count
            (Python's ``round``: a half goes to the even count, so 0.5 of
            an area of 5 positions is 2) and never below 1.
        height (int): Height of the CAM.
        width (int): Width of the CAM.
        name (str): The parameter's name, for the error. Defaults to 'k'.

    Returns:
        int: The number of positions averaged per channel.

    Raises:
        ValueError: If ``k`` fails :func:`check_k` or an int ``k`` exceeds
            the CAM area.
    """
    check_k(k, name)
    area = height * width
    if isinstance(k, float):
        return max(1, int(round(k * area)))
    if k > area:
        raise ValueError(
            f'`{name}`={k} exceeds the CAM area: the CAM is {height}x{width} '
            f'= {area} positions. Lower `{name}`, give a fraction of the area '
            f'as a float in (0, 1], or raise the input size.')
    return k


def check_maps(cam: torch.Tensor, pooling: str) -> None:
    """Raise a ValueError naming ``pooling`` unless ``cam`` is (N, C, H, W).
    """
    if cam.dim() != 4:
        raise ValueError(f'{pooling} expects maps of shape (N, C, H, W), got '
                         f'shape {tuple(cam.shape)}.')


def _check_real(name: str, value, inside: Callable[[float], bool],
                where: str) -> float:
    """``value`` as a float, if it is a real number (not a bool) for which
    ``inside`` holds; else a ValueError saying it must be ``where``."""
    if isinstance(value, bool) or not isinstance(
            value, (int, float)) or not inside(value):
        raise ValueError(f'`{name}` must be {where}, got {value!r}.')
    return float(value)


def topgap_pool(cam: torch.Tensor, k: Union[int, float]) -> torch.Tensor:
    """Top-GAP (Definition 5 of the paper) of a batch of class maps.

    ``k=1`` is global max pooling and ``k=H*W`` is global average pooling.
    The raw values are ranked, with no activation in front, as the paper's
    formula states. The gradient flows only to the k selected positions of
    each channel.

    Args:
        cam (torch.Tensor): Class activation maps of shape (N, C, H, W).
        k (int | float): Positions to average, see :func:`resolve_k`.

    Returns:
        torch.Tensor: Pooled scores of shape (N, C).

    Examples:
        >>> import torch
        >>> topgap_pool(torch.arange(8.).view(1, 2, 2, 2), k=0.5)
        tensor([[2.5000, 6.5000]])
    """
    check_maps(cam, 'Top-GAP')
    height, width = cam.shape[-2:]
    num = resolve_k(k, height, width)
    flat = cam.flatten(2)
    if num == height * width:
        return flat.mean(dim=2)
    return flat.topk(num, dim=2, sorted=False).values.mean(dim=2)


def top_gap_pool(cam: torch.Tensor, k: Union[int, float]) -> torch.Tensor:
    """Deprecated name of :func:`topgap_pool`."""
    warnings.warn(
        '`top_gap_pool` is deprecated; use `topgap_pool` (the same '
        'function).',
        FutureWarning,
        stacklevel=2)
    return topgap_pool(cam, k)


@MODELS.register_module()
class TopGAP(nn.Module):
    """Module form of :func:`topgap_pool`: the mean of the ``k`` largest
    values of each map.

    Args:
        k (int | float): Positions to average, see :func:`resolve_k`.

    Examples:
        >>> import torch
        >>> cam = torch.arange(8.).view(1, 2, 2, 2)  # 1 image, 2 maps of 2x2
        >>> TopGAP(k=2)(cam)  # the mean of each map's 2 largest values
        tensor([[2.5000, 6.5000]])
    """

    def __init__(self, k: Union[int, float]):
        super().__init__()
        check_k(k)
        self.k = k

    def forward(self, cam: torch.Tensor) -> torch.Tensor:
        return topgap_pool(cam, self.k)

    def extra_repr(self) -> str:
        return f'k={self.k}'


@MODELS.register_module()
class CAMMaxPool(nn.Module):
    """The maximum of each map (Top-GAP with ``k=1``); the gradient goes to
    one position per map.

    Examples:
        >>> import torch
        >>> CAMMaxPool()(torch.arange(8.).view(1, 2, 2, 2))
        tensor([[3., 7.]])
    """

    def forward(self, cam: torch.Tensor) -> torch.Tensor:
        check_maps(cam, type(self).__name__)
        return cam.flatten(2).amax(dim=2)


@MODELS.register_module()
class CAMAvgPool(nn.Module):
    """The mean of each map (Top-GAP with ``k=H*W``): a standard CAM
    network's GAP moved behind the 1x1 convolution.

    Not MMPretrain's ``GlobalAveragePooling`` neck, which pools the
    backbone's features before the classifier.

    Examples:
        >>> import torch
        >>> CAMAvgPool()(torch.arange(8.).view(1, 2, 2, 2))
        tensor([[1.5000, 5.5000]])
    """

    def forward(self, cam: torch.Tensor) -> torch.Tensor:
        check_maps(cam, type(self).__name__)
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
            the map (see :func:`resolve_k`).
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
        check_k(kmax, 'kmax')
        kmin = kmax if kmin is None else kmin
        if kmin != 0:
            check_k(kmin, 'kmin')
        self.kmax, self.kmin = kmax, kmin
        self.alpha = _check_real('alpha', alpha, math.isfinite,
                                 'a finite number')

    def forward(self, cam: torch.Tensor) -> torch.Tensor:
        check_maps(cam, 'WildcatPool')
        height, width = cam.shape[-2:]
        flat = cam.flatten(2)
        kmax = resolve_k(self.kmax, height, width, 'kmax')
        score = flat.topk(kmax, dim=2, sorted=False).values.mean(dim=2)
        if self.kmin == 0 or self.alpha == 0:
            return score
        kmin = resolve_k(self.kmin, height, width, 'kmin')
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
        self.r = _check_real('r', r, lambda r: 0 < r < math.inf,
                             'a positive finite number')

    def forward(self, cam: torch.Tensor) -> torch.Tensor:
        check_maps(cam, 'LogSumExpPool')
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
    this is :class:`TopGAP`.

    Args:
        ratio (float): Where between the map's minimum (0) and maximum (1)
            a position counts as evidence, in (0, 1]. Defaults to 0.5.
        k_min (int | float): Fewest positions (count or fraction of the
            map, see :func:`resolve_k`). Defaults to 1.
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
        self.ratio = _check_real('ratio', ratio, lambda r: 0 < r <= 1,
                                 'in (0, 1]')
        check_k(k_min, 'k_min')
        check_k(k_max, 'k_max')
        self.k_min, self.k_max = k_min, k_max

    def per_image_k(self, cam: torch.Tensor) -> torch.Tensor:
        """(N, C) int64: the k of every map."""
        check_maps(cam, 'PerImageTopGAP')
        height, width = cam.shape[-2:]
        low = resolve_k(self.k_min, height, width, 'k_min')
        high = resolve_k(self.k_max, height, width, 'k_max')
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


def _deprecated_name(old: str, new: type) -> type:
    """Register ``old`` as a name of ``new`` that warns when built."""

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f'`{old}` is deprecated; use `{new.__name__}` (the same '
            f'pooling).',
            FutureWarning,
            stacklevel=2)
        new.__init__(self, *args, **kwargs)

    alias = type(old, (new, ), {
        '__init__': __init__,
        '__doc__': f'Deprecated name of :class:`{new.__name__}`.',
        '__module__': __name__
    })
    MODELS.register_module(name=old, module=alias)
    return alias


# Former names, kept for configs written with them.
GlobalMaxPool = _deprecated_name('GlobalMaxPool', CAMMaxPool)
GlobalAvgPool = _deprecated_name('GlobalAvgPool', CAMAvgPool)
