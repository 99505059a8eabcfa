"""Top-GAP pooling: the mean of the k largest values of each channel."""
from typing import Union

import torch
import torch.nn as nn

from mmpretrain.registry import MODELS


def check_k(k: Union[int, float]) -> None:
    """Check ``k`` on its own, before the CAM size is known.

    Raises:
        TypeError: If ``k`` is neither an int nor a float.
        ValueError: If an int ``k`` is not positive, or a float ``k`` lies
            outside (0, 1].
    """
    # bool is an int subclass; `k=True` is a config typo, not k=1.
    if isinstance(k, bool) or not isinstance(k, (int, float)):
        raise TypeError(f'`k` must be an int (CAM positions) or a float in '
                        f'(0, 1] (fraction of the CAM area), got {k!r}.')
    if isinstance(k, float) and not 0.0 < k <= 1.0:
        raise ValueError(
            f'`k`={k} as a float is a fraction of the CAM area and must lie '
            f'in (0, 1]; use an int to count CAM positions.')
    if isinstance(k, int) and k <= 0:
        raise ValueError(
            f'`k`={k} must be a positive number of CAM positions.')


def resolve_k(k: Union[int, float], height: int, width: int) -> int:
    """Turn the Top-GAP parameter ``k`` into a number of CAM positions.

    Args:
        k (int | float): An int counts CAM positions; a float in (0, 1] is a
            fraction of the CAM area, rounded to the nearest position count
            (Python's ``round``: a half goes to the even count, so 0.5 of
            an area of 5 positions is 2) and never below 1.
        height (int): Height of the CAM.
        width (int): Width of the CAM.

    Returns:
        int: The number of positions averaged per channel.

    Raises:
        ValueError: If ``k`` fails :func:`check_k` or an int ``k`` exceeds
            the CAM area.
    """
    check_k(k)
    area = height * width
    if isinstance(k, float):
        return max(1, int(round(k * area)))
    if k > area:
        raise ValueError(
            f'`k`={k} exceeds the CAM area: the CAM is {height}x{width} = '
            f'{area} positions. Lower `k`, give a fraction of the area as a '
            f'float in (0, 1], or raise the input size.')
    return k


def top_gap_pool(cam: torch.Tensor, k: Union[int, float]) -> torch.Tensor:
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
    """
    if cam.dim() != 4:
        raise ValueError(f'Top-GAP expects a CAM of shape (N, C, H, W), got '
                         f'shape {tuple(cam.shape)}.')
    height, width = cam.shape[-2:]
    num = resolve_k(k, height, width)
    flat = cam.flatten(2)
    if num == height * width:
        return flat.mean(dim=2)
    return flat.topk(num, dim=2, sorted=False).values.mean(dim=2)


@MODELS.register_module()
class TopGAP(nn.Module):
    """Module form of :func:`top_gap_pool`.

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
        return top_gap_pool(cam, self.k)

    def extra_repr(self) -> str:
        return f'k={self.k}'
