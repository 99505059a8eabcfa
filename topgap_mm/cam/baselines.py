"""Trivial CAM baselines that look at no image: what a localisation score
is worth when a map knows nothing but the image frame."""
from typing import List, Optional

import torch
import torch.nn as nn

from mmpretrain.structures import DataSample
from .normalize import normalize_cams
from .topgap_cam import Target


def center_gaussian_cams(model: nn.Module,
                         inputs: torch.Tensor,
                         target: Target = 'gt',
                         data_samples: Optional[List[DataSample]] = None,
                         sigma: float = 0.25) -> torch.Tensor:
    """An isotropic Gaussian centred on every image (wsolevaluation's centre
    baseline), the same for every image and class.

    Coordinates are fractions of the height and width, so on a non-square
    image the Gaussian is stretched with the frame. Thresholds of the map
    are discs around the centre, so threshold-swept scores (best IoU, PxAP)
    barely depend on ``sigma``; it only spaces the discs on the threshold
    grid.

    Args:
        model (nn.Module): Unused; kept so that every method has one
            signature.
        inputs (torch.Tensor): Images (N, C, H, W); only the shape is read.
        target, data_samples: Unused: the map ignores the class.
        sigma (float): Standard deviation as a fraction of the side.
            Defaults to 0.25.

    Returns:
        torch.Tensor: Maps (N, H, W) in [0, 1], 1 at the centre.
    """
    if not sigma > 0:
        raise ValueError(f'`sigma` must be > 0, got {sigma!r}.')
    n, _, height, width = inputs.shape
    ys = (torch.arange(height, device=inputs.device) + 0.5) / height - 0.5
    xs = (torch.arange(width, device=inputs.device) + 0.5) / width - 0.5
    dist2 = ys[:, None]**2 + xs[None, :]**2
    gauss = torch.exp(-dist2 / (2 * sigma**2))
    return normalize_cams(gauss.expand(n, height, width).contiguous(),
                          (height, width))


def uniform_cams(model: nn.Module,
                 inputs: torch.Tensor,
                 target: Target = 'gt',
                 data_samples: Optional[List[DataSample]] = None
                 ) -> torch.Tensor:
    """A constant map: it normalises to zeros, so at threshold 0 it marks the
    whole image (IoU = the object's share of the image) and its PxAP is the
    object share as well.

    Args:
        model (nn.Module): Unused; kept so that every method has one
            signature.
        inputs (torch.Tensor): Images (N, C, H, W); only the shape is read.
        target, data_samples: Unused.

    Returns:
        torch.Tensor: Zeros (N, H, W).
    """
    n, _, height, width = inputs.shape
    return normalize_cams(
        torch.ones(n, height, width, device=inputs.device), (height, width))
