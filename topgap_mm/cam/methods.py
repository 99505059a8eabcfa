"""One entry point for every CAM method of this package."""
from typing import List, Optional

import torch
import torch.nn as nn

from mmpretrain.structures import DataSample
from .topgap_cam import Target, topgap_cams

#: Methods by name; each takes (model, inputs, target, data_samples,
#: **kwargs) and returns normalised maps of shape (N, H, W) in [0, 1].
CAM_METHODS = {'topgap': topgap_cams}


def compute_cams(model: nn.Module,
                 inputs: torch.Tensor,
                 method: str = 'auto',
                 target: Target = 'gt',
                 data_samples: Optional[List[DataSample]] = None,
                 **kwargs) -> torch.Tensor:
    """CAMs of any supported classifier, through the one normalisation.

    Args:
        model: An ``ImageClassifier``.
        inputs (torch.Tensor): Preprocessed images (N, 3, H, W).
        method (str): A key of :data:`CAM_METHODS`, or ``'auto'``: the
            native map for Top-GAP models.
        target: Which class's map, see
            :func:`topgap_mm.cam.select_classes`.
        data_samples (list[DataSample], optional): Needed for
            ``target='gt'``.
        **kwargs: Passed to the method.

    Returns:
        torch.Tensor: Maps (N, H, W) in [0, 1] on the device of ``inputs``.
    """
    if method == 'auto':
        method = 'topgap' if hasattr(getattr(model, 'head', None),
                                     'forward_cam') else 'gradcam'
    if method not in CAM_METHODS:
        raise ValueError(f'`method` must be one of {sorted(CAM_METHODS)} or '
                         f"'auto', got {method!r}.")
    return CAM_METHODS[method](model, inputs, target, data_samples, **kwargs)
