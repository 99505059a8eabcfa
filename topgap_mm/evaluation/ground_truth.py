"""What a val/test data batch says about the truth: labels, object masks
and object boxes.

Metrics get the raw batch from the dataloader: ``inputs`` (uint8 images in
the dataset's channel order) and ``data_samples`` (``DataSample`` objects,
or their dicts), which carry the ground truth. This module is the one place
that reads it from them.
"""
from typing import List, Optional, Tuple

import torch

from ..datasets.mask_conventions import IGNORE_INDEX

#: Field of the data samples that holds the object mask.
MASK_FIELD = 'gt_object_mask'
#: Field of the data samples that holds the object boxes.
BOX_FIELD = 'gt_object_boxes'
#: Where masks come from, for the error raised when they are missing.
MASK_SOURCES = ('FashionBackgroundsDataset, CUB (with its segmentations), '
                'OxfordIIITPet, Waterbirds and COCOSingleObject (or any '
                'dataset that puts an (H, W) mask with 1 object / 0 '
                'background / 255 ignore into `gt_seg_map`, e.g. with '
                "`LoadObjectMask`), packed by `dict(type='PackMaskedInputs')` "
                'at the end of the test pipeline')


#: Where boxes come from, for the error raised when they are missing.
BOX_SOURCES = ("CUBWithMasks (CUB's bounding_boxes.txt), COCOSingleObject "
               '(the annotation boxes) and FashionBackgroundsDataset (the '
               'tight box of each mask), packed by '
               "`dict(type='PackMaskedInputs')` from `gt_bboxes` (x0, y0, "
               'x1, y1 in pixels, x1 = x0 + width) at the end of the test '
               'pipeline')


def sample_field(sample, name: str):
    """A field of a data sample (``DataSample`` or dict), None if absent."""
    if sample is None:
        return None
    if isinstance(sample, dict):
        return sample.get(name)
    return getattr(sample, name, None) if name in sample else None


def _check_mask(mask, index: int, image_size: Tuple[int, int]):
    if mask is None:
        raise ValueError(
            f'This metric needs object masks in the data samples (field '
            f'`{MASK_FIELD}`), and this dataset gives none. Masks are '
            f'provided by {MASK_SOURCES}.')
    mask = torch.as_tensor(mask)
    if mask.dim() != 2:
        raise ValueError(f'`{MASK_FIELD}` must be (H, W), got shape '
                         f'{tuple(mask.shape)}.')
    bad = (mask != 0) & (mask != 1) & (mask != IGNORE_INDEX)
    if bad.any():
        # A grayscale (e.g. CUB) mask would otherwise be silently ignored.
        raise ValueError(
            f'`{MASK_FIELD}` must hold 1 (object), 0 (background) or '
            f'{IGNORE_INDEX} (ignore), got the value '
            f'{mask[bad][0].item()}; binarise the mask in the dataset.')
    if tuple(mask.shape) != image_size:
        raise ValueError(
            f'Image {index} of the batch has size {image_size} but its '
            f'`{MASK_FIELD}` has shape {tuple(mask.shape)}; the mask must '
            f'be resized with the image (mmcv transforms on `gt_seg_map`).')
    return mask


def labels_and_masks(
    data_batch: dict,
    num: int,
    with_labels: bool = True,
    with_masks: bool = False
) -> Tuple[Optional[torch.Tensor], Optional[List[torch.Tensor]]]:
    """Ground-truth labels and object masks of a batch's first ``num``
    samples.

    Args:
        data_batch (dict): A collated batch with ``inputs`` and
            ``data_samples`` (``DataSample`` objects or their dicts).
        num (int): How many samples to take.
        with_labels (bool): Return the samples' ``gt_label``.
        with_masks (bool): Return the samples' ``gt_object_mask``, checked
            to be (H, W) of the sample's image size with the values 1
            (object), 0 (background) or 255 (ignore).

    Returns:
        tuple: ``labels`` (num, ) int64 on the CPU (None without
        ``with_labels``) and ``masks``, a list of (H, W) tensors (None
        without ``with_masks``).

    Raises:
        ValueError: If a needed label or mask is missing, or a mask is not
            as described above.
    """
    samples = list(data_batch.get('data_samples') or [None] * num)[:num]
    labels = masks = None
    if with_labels:
        labels = []
        for sample in samples:
            label = sample_field(sample, 'gt_label')
            if label is None:
                raise ValueError('This metric needs `gt_label` in every data '
                                 'sample.')
            labels.append(torch.as_tensor(label).view(-1)[0])
        labels = torch.stack(labels).long()
    if with_masks:
        inputs = data_batch['inputs']
        masks = [
            _check_mask(
                sample_field(sample, MASK_FIELD), i,
                tuple(inputs[i].shape[-2:]))
            for i, sample in enumerate(samples)
        ]
    return labels, masks


def object_boxes(data_batch: dict, num: int) -> List[torch.Tensor]:
    """Ground-truth object boxes of a batch's first ``num`` samples.

    Args:
        data_batch (dict): A collated batch with ``inputs`` and
            ``data_samples``.
        num (int): How many samples to take.

    Returns:
        list[torch.Tensor]: Per sample an (M, 4) float64 tensor of boxes
        ``(x0, y0, x1, y1)`` in pixels of the model input, ``x1 = x0 +
        width``; M >= 1.

    Raises:
        ValueError: If a sample has no boxes, or a box is not inside its
            image or has a negative size.
    """
    samples = list(data_batch.get('data_samples') or [None] * num)[:num]
    boxes = []
    for i, sample in enumerate(samples):
        box = sample_field(sample, BOX_FIELD)
        if box is None:
            raise ValueError(
                f'This metric needs ground-truth boxes in the data samples '
                f'(field `{BOX_FIELD}`), and this dataset gives none. Boxes '
                f'are provided by {BOX_SOURCES}.')
        box = torch.as_tensor(box, dtype=torch.float64).reshape(-1, 4)
        height, width = data_batch['inputs'][i].shape[-2:]
        if len(box) == 0:
            raise ValueError(f'Image {i} of the batch has an empty '
                             f'`{BOX_FIELD}`; every image needs a box.')
        x0, y0, x1, y1 = box.unbind(1)
        if bool(((x1 < x0) | (y1 < y0) | (x0 < 0) | (y0 < 0)
                 | (x1 > width) | (y1 > height)).any()):
            raise ValueError(
                f'Image {i} of the batch ({height}x{width}) has a box '
                f'outside the image or of negative size: '
                f'{box.tolist()}; boxes are (x0, y0, x1, y1) with '
                f'0 <= x0 <= x1 <= width and 0 <= y0 <= y1 <= height, '
                f'moved with the image by the pipeline\'s transforms.')
        boxes.append(box)
    return boxes
