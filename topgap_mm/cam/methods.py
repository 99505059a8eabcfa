"""One entry point for every CAM method of this package."""
from typing import List, Optional

import torch
import torch.nn as nn

from mmpretrain.structures import DataSample
from .baselines import center_gaussian_cams, uniform_cams
from .bcos_contributions import bcos_cams, is_bcos_model
from .original_cam import original_cams
from .grad_cam_library import (eigencam_cams, gradcam_plusplus_cams,
                               layercam_cams, scorecam_cams, xgradcam_cams)
from .gradcam import gradcam_cams
from .recipro_cam import recipro_cams
from .topgap_cam import Target, is_topgap_model, topgap_cams

#: Methods by name; each takes (model, inputs, target, data_samples,
#: **kwargs) and returns normalised maps of shape (N, H, W) in [0, 1].
#: ``'topgap'`` needs a Top-GAP model, ``'bcos'`` a B-cos classifier (its
#: dynamic linear contributions), ``'cam'`` a GAP + linear head,
#: ``'recipro_cam'`` a backbone with one output map; ``'gradcam'`` and
#: pytorch-grad-cam's ``'gradcam++'``, ``'xgradcam'``, ``'layercam'``,
#: ``'eigencam'`` (class-agnostic) and ``'scorecam'`` work on any
#: ImageClassifier; the baselines ``'center_gaussian'`` and ``'uniform'``
#: ignore the model and the image. On a ``VisionTransformer`` backbone (ViT,
#: DeiT) the GradCAM family explains the patch tokens of the last block's
#: first norm by default, for any ``out_type`` (:mod:`topgap_mm.cam.tokens`);
#: ``'cam'`` and ``'recipro_cam'`` need its ``out_type='featmap'``.
CAM_METHODS = {
    'topgap': topgap_cams,
    'bcos': bcos_cams,
    'cam': original_cams,
    'gradcam': gradcam_cams,
    'recipro_cam': recipro_cams,
    'gradcam++': gradcam_plusplus_cams,
    'xgradcam': xgradcam_cams,
    'layercam': layercam_cams,
    'eigencam': eigencam_cams,
    'scorecam': scorecam_cams,
    'center_gaussian': center_gaussian_cams,
    'uniform': uniform_cams,
}

#: Methods whose raw map is signed, with 0 meaning no evidence: they take
#: ``positive_part=True`` to drop the negative values before the min-max
#: scaling (the others are 0 or more already: GradCAM and its kin after
#: their ReLU, B-cos' positive contributions, Recipro-CAM's scores).
SIGNED_METHODS = ('topgap', 'cam')


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
            native map (``'topgap'``) for Top-GAP models, the
            contributions (``'bcos'``) for B-cos models, ``'gradcam'``
            for any other.
        target: Which class's map, see
            :func:`topgap_mm.cam.select_classes`.
        data_samples (list[DataSample], optional): Needed for
            ``target='gt'``.
        **kwargs: Passed to the method.

    Returns:
        torch.Tensor: Maps (N, H, W) in [0, 1] on the device of ``inputs``.
    """
    method = resolve_method(model, method)
    return CAM_METHODS[method](model, inputs, target, data_samples, **kwargs)


def resolve_method(model: nn.Module, method: str = 'auto') -> str:
    """The key of :data:`CAM_METHODS` that ``method`` means for ``model``.

    Args:
        model: An ``ImageClassifier``.
        method (str): A key of :data:`CAM_METHODS`, or ``'auto'``: the
            model's own explanation where it has one (``'topgap'`` for
            Top-GAP models, ``'bcos'`` for B-cos models), ``'gradcam'`` for
            any other.

    Raises:
        ValueError: For an unknown name; the message lists the methods.
    """
    if method == 'auto':
        if is_topgap_model(model):
            return 'topgap'
        return 'bcos' if is_bcos_model(model) else 'gradcam'
    if method not in CAM_METHODS:
        raise ValueError(f'`method` must be one of {sorted(CAM_METHODS)} or '
                         f"'auto', got {method!r}.")
    return method
