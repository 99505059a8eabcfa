"""Packing that carries the object mask and boxes into the data sample."""
from typing import Sequence

import numpy as np
import torch

from mmpretrain.datasets.transforms import PackInputs
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackMaskedInputs(PackInputs):
    """:class:`PackInputs` that also packs the object mask and boxes.

    Datasets put the object mask into ``results['gt_seg_map']`` and the
    object boxes into ``results['gt_bboxes']`` so that mmcv's geometric
    transforms (``Resize``, ``CenterCrop``, ``RandomFlip``, ...) move them
    together with the image. This transform packs the mask as
    ``data_sample.gt_object_mask``, a ``uint8`` tensor of shape (H, W) with 1
    for object, 0 for background and 255 for pixels to ignore, and the boxes
    as ``data_sample.gt_object_boxes``, a ``float32`` tensor of shape (N, 4)
    with ``(x0, y0, x1, y1)`` in pixels of the input image, ``x1 = x0 +
    width``. Without a mask or boxes the field is absent. The default
    ``meta_keys`` add ``group_label`` to :class:`PackInputs`' (the group of
    ``GroupAccuracy``: Waterbirds', the embedded benchmark's class x
    background), packed where the dataset sets it.
    ``DataSample.mask`` is left alone, since masked-image-modelling uses
    that name.

    Args:
        mask_key (str): Key of the mask in the results. Defaults to
            ``'gt_seg_map'``.
        box_key (str): Key of the boxes in the results. Defaults to
            ``'gt_bboxes'``.
        meta_keys (Sequence[str]): Keys of the results kept in the
            metainfo. Defaults to :attr:`DEFAULT_META_KEYS`.
        **kwargs: Arguments of :class:`PackInputs`.
    """

    DEFAULT_META_KEYS = PackInputs.DEFAULT_META_KEYS + ('group_label', )

    def __init__(self,
                 mask_key: str = 'gt_seg_map',
                 box_key: str = 'gt_bboxes',
                 meta_keys: Sequence[str] = DEFAULT_META_KEYS,
                 **kwargs):
        super().__init__(meta_keys=meta_keys, **kwargs)
        self.mask_key = mask_key
        self.box_key = box_key

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        mask = results.get(self.mask_key)
        if mask is not None:
            mask = np.ascontiguousarray(mask)
            if mask.ndim != 2:
                raise ValueError(
                    f'The object mask `{self.mask_key}` must be (H, W), got '
                    f'shape {mask.shape}.')
            packed['data_samples'].set_field(
                torch.from_numpy(mask.astype(np.uint8)), 'gt_object_mask')
        boxes = results.get(self.box_key)
        if boxes is not None:
            boxes = np.asarray(boxes)
            if boxes.ndim != 2 or boxes.shape[1] != 4:
                raise ValueError(
                    f'The object boxes `{self.box_key}` must be (N, 4) '
                    f'(x0, y0, x1, y1), got shape {boxes.shape}.')
            packed['data_samples'].set_field(
                torch.from_numpy(boxes.astype(np.float32)), 'gt_object_boxes')
        return packed

    def __repr__(self) -> str:
        return (super().__repr__()[:-1] + f', mask_key={self.mask_key!r}, '
                f'box_key={self.box_key!r})')
