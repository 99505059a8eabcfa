"""Recipro-CAM (Byun & Lee): gradient-free CAMs by spatial masking."""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.structures import DataSample
from .classifier_parts import backbone_maps, check_classifier_inputs
from .normalize import normalize_cams
from .topgap_cam import Target, select_classes

#: Mask shapes: one position, or the 3x3 Gaussian of the first official
#: implementation (which spreads the position's feature vector onto its
#: neighbours, rather than keeping the neighbours' own features).
KERNELS = ('1x1', 'gaussian')
_GAUSSIAN = ((1 / 16, 1 / 8, 1 / 16), (1 / 8, 1 / 4, 1 / 8), (1 / 16, 1 / 8,
                                                             1 / 16))


def _position_masks(height: int, width: int, kernel: str,
                    like: torch.Tensor) -> torch.Tensor:
    """One spatial mask (h, w) per feature-map position, (h*w, h, w)."""
    impulses = torch.eye(
        height * width, dtype=like.dtype,
        device=like.device).view(-1, 1, height, width)
    if kernel == '1x1':
        return impulses[:, 0]
    # Zero padding crops the kernel at the borders, as the official code.
    weight = torch.tensor(_GAUSSIAN, dtype=like.dtype, device=like.device)
    return F.conv2d(impulses, weight[None, None], padding=1)[:, 0]


def _scores(model: nn.Module, feats: Sequence[torch.Tensor]) -> torch.Tensor:
    """Neck (if any) and head on backbone outputs: the class scores."""
    neck = getattr(model, 'neck', None)
    return model.head(neck(tuple(feats)) if neck is not None else
                      tuple(feats))


def recipro_cams(model: nn.Module,
                 inputs: torch.Tensor,
                 target: Target = 'gt',
                 data_samples: Optional[List[DataSample]] = None,
                 kernel: str = '1x1',
                 softmax: bool = True,
                 batch_size: int = 256) -> torch.Tensor:
    """Recipro-CAMs of a batch, normalised.

    Byun & Lee, "Recipro-CAM: Fast gradient-free visual explanations for
    convolutional neural networks" (arXiv:2209.14074; CVPR-W 2024). For
    every position ``p`` of the last backbone map ``F`` (N, C, h, w), a
    masked copy keeps only ``F[:, :, p]`` (``kernel='1x1'``) or spreads it
    with a 3x3 Gaussian around ``p`` (``kernel='gaussian'``); the rest of
    the network (neck and head) scores every masked copy, and the map's
    value at ``p`` is the chosen class's score.

    The defaults are the variant of the official code
    (github.com/sybyun/ReciproCAM, ``src/recipro_cam.py``): 1x1 masks and
    the class's **softmax** probability over the head's logits, so that
    other classes' evidence at ``p`` lowers the value. With
    ``softmax=False`` and ``kernel='1x1'`` on a GAP + linear head the score
    at ``p`` is ``w_c . F[:, p] / (h*w) + b_c``, an increasing affine map of
    the original CAM, so after the min-max of :func:`normalize_cams` it
    equals :func:`~topgap_mm.cam.original_cams` (tested).

    Masked copies of all images are scored together in chunks of about
    ``batch_size`` maps to bound memory. No gradients are taken and the
    model's train/eval mode is left as it is (use eval mode: in train mode
    BatchNorm would mix the masked copies and update its statistics).

    Args:
        model (nn.Module): An ``ImageClassifier`` whose backbone returns a
            single map, which the neck and head turn into class scores.
        inputs (torch.Tensor): Preprocessed images (N, 3, H, W).
        target: Which class's map, see :func:`select_classes`.
        data_samples (list[DataSample], optional): Needed for
            ``target='gt'``.
        kernel (str): ``'1x1'`` or ``'gaussian'``. Defaults to ``'1x1'``.
        softmax (bool): Score with softmax probabilities (official) or raw
            logits. Defaults to True.
        batch_size (int): Masked maps per forward pass of neck and head.
            Defaults to 256.

    Returns:
        torch.Tensor: CAMs of shape (N, H, W) in [0, 1], on the device of
        ``inputs``.
    """
    check_classifier_inputs(model, inputs, 'Recipro-CAM')
    if kernel not in KERNELS:
        raise ValueError(f'Recipro-CAM: `kernel` must be one of {KERNELS}, '
                         f'got {kernel!r}.')
    if batch_size < 1:
        raise ValueError(f'Recipro-CAM: `batch_size` must be >= 1, got '
                         f'{batch_size}.')
    with torch.no_grad():
        feats = backbone_maps(model, inputs)
        if len(feats) != 1:
            raise ValueError(
                f'Recipro-CAM masks the backbone output that the neck and '
                f'head read; this backbone returns {len(feats)} maps (a '
                f"multi-scale neck?). Use method='gradcam' or, for Top-GAP "
                f"models, 'topgap'.")
        maps = feats[0]
        classes = select_classes(target, _scores(model, feats), data_samples)
        num, channels, height, width = maps.shape
        masks = _position_masks(height, width, kernel, maps)
        vectors = maps.flatten(2).transpose(1, 2)  # (N, h*w, C)
        chunk = max(1, batch_size // num)
        cams = []
        for start in range(0, height * width, chunk):
            part = slice(start, start + chunk)
            masked = (vectors[:, part, :, None, None] *
                      masks[None, part, None])  # (N, P, C, h, w)
            # float64, so that the probabilities of a confident model do
            # not round to 1 and flatten the map, and so that rows with
            # equal logits stay equal (a constant map, not rounding noise).
            logits = _scores(model, (masked.flatten(0, 1), )).double()
            if softmax:
                logits = logits.softmax(dim=1)
            logits = logits.view(num, -1, logits.shape[-1])
            cams.append(logits[torch.arange(num), :, classes])
        cams = torch.cat(cams, dim=1).view(num, height, width)
    return normalize_cams(cams, inputs.shape[-2:]).to(maps.dtype)
