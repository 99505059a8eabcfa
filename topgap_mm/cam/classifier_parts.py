"""What the post-hoc CAM methods need of a classifier: a check of the
model and its inputs, and the backbone's feature maps."""
from typing import Tuple

import torch
import torch.nn as nn

from .tokens import is_token_backbone


def check_classifier_inputs(model: nn.Module, inputs: torch.Tensor,
                            method: str) -> None:
    """Check that ``model`` is an image classifier and ``inputs`` a batch.

    Shared by the post-hoc CAM methods, which all split the model into
    ``backbone``, optional ``neck`` and ``head`` like MMPretrain's
    ``ImageClassifier``.

    Args:
        model (nn.Module): The classifier.
        inputs (torch.Tensor): Preprocessed images, expected (N, C, H, W).
        method (str): Name of the calling method, for the messages.

    Raises:
        TypeError: If ``model`` lacks a ``backbone`` or ``head``.
        ValueError: If ``inputs`` is not a non-empty 4-D tensor.
    """
    if not all(
            isinstance(getattr(model, name, None), nn.Module)
            for name in ('backbone', 'head')):
        raise TypeError(f'{method} needs an ImageClassifier-like model with '
                        f'`backbone` and `head` modules, got '
                        f'{type(model).__name__}.')
    if (not isinstance(inputs, torch.Tensor) or inputs.dim() != 4
            or inputs.shape[0] == 0):
        shape = tuple(inputs.shape) if isinstance(inputs,
                                                  torch.Tensor) else inputs
        raise ValueError(f'{method}: `inputs` must be a non-empty batch '
                         f'(N, C, H, W) of preprocessed images, got {shape}.')


def backbone_maps(model: nn.Module,
                  inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    """The backbone's outputs as a tuple whose last element is a 4-D map.

    Raises:
        ValueError: If the last output is not a map (N, C, h, w), as for
            transformer backbones that return tokens.
    """
    feats = model.backbone(inputs)
    if isinstance(feats, torch.Tensor):
        feats = (feats, )
    feats = tuple(feats)
    last = feats[-1]
    if not isinstance(last, torch.Tensor) or last.dim() != 4:
        got = (f'shape {tuple(last.shape)}' if isinstance(
            last, torch.Tensor) else f'a {type(last).__name__}')
        hint = ''
        if is_token_backbone(model.backbone):
            hint = (" A VisionTransformer outputs a map only with "
                    "out_type='featmap', this one has "
                    f'{model.backbone.out_type!r}; the GradCAM family '
                    "('gradcam', 'gradcam++', 'xgradcam', 'layercam', "
                    "'eigencam', 'scorecam') reads the tokens of its last "
                    'block for any out_type.')
        raise ValueError(f'CAM methods need a spatial map (N, C, h, w) as '
                         f'the last backbone output, got {got}.{hint}')
    return feats
