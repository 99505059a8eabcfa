"""Packing that carries the object mask into the data sample."""
import numpy as np
import torch

from mmpretrain.datasets.transforms import PackInputs
from mmpretrain.registry import TRANSFORMS

#: Value of mask pixels that no metric counts (object or background unknown).
IGNORE_INDEX = 255


@TRANSFORMS.register_module()
class PackMaskedInputs(PackInputs):
    """:class:`PackInputs` that also packs the object mask.

    Datasets put the object mask into ``results['gt_seg_map']`` so that
    mmcv's geometric transforms (``Resize``, ``CenterCrop``, ``RandomFlip``,
    ...) move it together with the image. This transform packs it as
    ``data_sample.gt_object_mask``, a ``uint8`` tensor of shape (H, W) with 1
    for object, 0 for background and 255 for pixels to ignore.
    ``DataSample.mask`` is left alone, since masked-image-modelling uses
    that name.

    Args:
        mask_key (str): Key of the mask in the results. Defaults to
            ``'gt_seg_map'``.
        **kwargs: Arguments of :class:`PackInputs`.
    """

    def __init__(self, mask_key: str = 'gt_seg_map', **kwargs):
        super().__init__(**kwargs)
        self.mask_key = mask_key

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
        return packed

    def __repr__(self) -> str:
        return (super().__repr__()[:-1] + f', mask_key={self.mask_key!r})')
