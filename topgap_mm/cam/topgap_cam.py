"""CAM mode of a Top-GAP classifier: the map that makes the prediction."""
from typing import List, Optional, Sequence, Union

import torch

from mmpretrain.structures import DataSample
from .normalize import normalize_cams

Target = Union[str, int, Sequence[int], torch.Tensor]


def select_classes(target: Target,
                   scores: torch.Tensor,
                   data_samples: Optional[List[DataSample]] = None
                   ) -> torch.Tensor:
    """Resolve which class's map to take for each image.

    Args:
        target: ``'gt'`` (ground truth from ``data_samples``), ``'pred'``
            (the argmax of ``scores``), one class index for every image, or
            one index per image.
        scores (torch.Tensor): Class scores of shape (N, C).
        data_samples (list[DataSample], optional): Needed for ``'gt'``.

    Returns:
        torch.Tensor: Class indices of shape (N, ).
    """
    num, num_classes = scores.shape
    if isinstance(target, str):
        if target == 'pred':
            return scores.argmax(dim=1)
        if target != 'gt':
            raise ValueError(f"`target` must be 'gt', 'pred' or class "
                             f'indices, got {target!r}.')
        if not data_samples or 'gt_label' not in data_samples[0]:
            raise ValueError("`target='gt'` needs data samples with "
                             '`gt_label`; pass `data_samples` or use '
                             "`target='pred'`.")
        classes = torch.cat([s.gt_label[:1] for s in data_samples])
    elif isinstance(target, int):
        classes = torch.full((num, ), target, dtype=torch.long)
    else:
        classes = torch.as_tensor(target, dtype=torch.long).flatten()
    if classes.numel() != num:
        raise ValueError(f'`target` gives {classes.numel()} classes for a '
                         f'batch of {num} images.')
    if classes.min() < 0 or classes.max() >= num_classes:
        raise ValueError(f'`target` classes must lie in [0, {num_classes}), '
                         f'got {classes.tolist()}.')
    return classes.to(scores.device)


def is_topgap_model(model: torch.nn.Module) -> bool:
    """Whether ``model``'s head makes its own CAM (a ``TopGAPClsHead``)."""
    return hasattr(getattr(model, 'head', None), 'forward_cam')


def topgap_cams(model: torch.nn.Module,
                inputs: torch.Tensor,
                target: Target = 'pred',
                data_samples: Optional[List[DataSample]] = None,
                positive_part: bool = False) -> torch.Tensor:
    """Native CAMs of a Top-GAP classifier, normalised for display/metrics.

    The raw map of the chosen class (the head's 1x1 convolution output, as
    the paper's CAM mode disables Top-GAP) is upsampled to the input size
    and min-max normalised per image by :func:`normalize_cams`.

    The raw map has a meaningful zero: the L1 term trains every position
    without evidence for the class towards 0. Min-max scaling moves that
    zero up by the map's most negative value, which changes nothing for a
    threshold or a ranking but spreads mass over the background for a
    score that sums the map; ``positive_part=True`` keeps the evidence
    (values below 0 become 0) before the scaling, as B-cos keeps its
    positive contributions.

    Args:
        model: An ``ImageClassifier`` whose head is a ``TopGAPClsHead``.
        inputs (torch.Tensor): Preprocessed images (N, 3, H, W), as the
            model's data preprocessor outputs them.
        target: Which class's map, see :func:`select_classes`.
        data_samples (list[DataSample], optional): Needed for
            ``target='gt'``.
        positive_part (bool): Drop the map's negative values before the
            scaling. Defaults to False (the paper's CAM).

    Returns:
        torch.Tensor: CAMs of shape (N, H, W) in [0, 1], on the device of
        ``inputs``.
    """
    head = getattr(model, 'head', None)
    if not is_topgap_model(model):
        raise TypeError(
            f'topgap_cams needs a classifier with a TopGAPClsHead, got a '
            f'{type(head).__name__} head; use a post-hoc CAM method for '
            f'standard models.')
    if inputs.dim() != 4:
        raise ValueError(f'`inputs` must be a batch (N, C, H, W), got '
                         f'{tuple(inputs.shape)}.')
    cams = head.forward_cam(model.extract_feat(inputs))
    classes = select_classes(target, head.pool(cams), data_samples)
    picked = cams[torch.arange(cams.shape[0], device=cams.device), classes]
    return normalize_cams(picked, inputs.shape[-2:], positive_part)
