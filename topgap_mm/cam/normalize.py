"""The one CAM normalisation every CAM method of this package goes through."""
from typing import Sequence

import torch
import torch.nn.functional as F


def normalize_cams(cams: torch.Tensor,
                   size: Sequence[int],
                   positive_part: bool = False) -> torch.Tensor:
    """Upsample CAMs to the input size and min-max them per image to [0, 1].

    Every method (native Top-GAP, CAM, GradCAM, Recipro-CAM) is compared
    through this function, so none gains from a different resampling or
    scaling. Bilinear upsampling is done before the min-max so that the
    extremes are those of the map that is looked at. A constant map carries
    no localisation and becomes all zeros; "constant" allows for rounding
    noise (a few float ulps of the map's magnitude), which a min-max would
    otherwise blow up into a full-contrast pattern.

    Args:
        cams (torch.Tensor): Maps of shape (N, h, w), one per image.
        size (Sequence[int]): Target (H, W), the model's input size.
        positive_part (bool): Drop the maps' negative values first: for a
            signed map whose 0 means no evidence, so that a score summing
            the map does not count the background the min-max would lift
            by the map's most negative value. Defaults to False.

    Returns:
        torch.Tensor: Maps of shape (N, H, W) with values in [0, 1], on the
        device and in the floating dtype of ``cams``.
    """
    if cams.dim() != 3:
        raise ValueError(f'normalize_cams expects maps of shape (N, h, w), '
                         f'got {tuple(cams.shape)}.')
    size = tuple(int(s) for s in size)
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f'`size` must be a positive (H, W), got {size}.')
    maps = cams.float() if not cams.is_floating_point() else cams
    if positive_part:
        maps = maps.clamp(min=0)
    if tuple(maps.shape[-2:]) != size:
        maps = F.interpolate(
            maps[:, None], size=size, mode='bilinear',
            align_corners=False)[:, 0]
    flat = maps.flatten(1)
    low = flat.min(dim=1).values[:, None, None]
    span = flat.max(dim=1).values[:, None, None] - low
    tiny = torch.finfo(maps.dtype).tiny
    noise = 4 * torch.finfo(maps.dtype).eps * flat.abs().amax(dim=1)
    constant = span <= noise[:, None, None] + tiny
    return torch.where(constant, torch.zeros_like(maps),
                       (maps - low) / span.clamp_min(tiny))
