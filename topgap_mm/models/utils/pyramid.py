"""The one fusion of feature-pyramid levels that the Top-GAP neck and head
share."""
from typing import Sequence

import torch
import torch.nn.functional as F

#: Interpolation modes that bring a coarser level to the finest size.
UPSAMPLE_MODES = ('nearest', 'bilinear', 'bicubic')


def check_upsample_mode(mode: str) -> None:
    """Raise a ValueError naming ``upsample_mode`` unless it is one of
    :data:`UPSAMPLE_MODES`."""
    if mode not in UPSAMPLE_MODES:
        raise ValueError(f'`upsample_mode` must be one of '
                         f'{", ".join(UPSAMPLE_MODES)}; got {mode!r}.')


def sum_at_finest(maps: Sequence[torch.Tensor], mode: str) -> torch.Tensor:
    """Upsample maps (N, C, h_i, w_i) to the largest size and sum them.

    The operation is linear in the maps, so a 1x1 convolution (without its
    bias) commutes with it: ``conv(sum_at_finest(maps))`` equals
    ``sum_at_finest([conv(m) for m in maps])`` plus the bias once.
    """
    size = max((x.shape[-2:] for x in maps), key=lambda s: s[0] * s[1])
    out = None
    for x in maps:
        if x.shape[-2:] != size:
            x = F.interpolate(x, size=size, mode=mode)
        out = x if out is None else out + x
    return out
