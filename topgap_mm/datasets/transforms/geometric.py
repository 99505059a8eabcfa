"""Mask-aware versions of MMPretrain's geometric transforms.

MMPretrain's ``RandomCrop``, ``RandomResizedCrop`` and ``ResizeEdge`` move
only ``img``; the versions here apply the same crop and resize to the object
mask in ``gt_seg_map`` (nearest neighbour, so its values stay 0/1/255).
Without a mask they behave exactly like the originals. mmcv's
``CenterCrop``, ``RandomFlip`` and ``Pad`` move ``gt_seg_map`` exactly;
mmcv's ``Resize`` moves it too, but with ``INTER_NEAREST``, whose half-pixel
shift disagrees with the image on about 0.6% of the pixels of a CUB image
resized to 256x256 (2% at a 4x downscale); ``MaskedResize`` fixes that.
"""
import math
from typing import Optional, Tuple

import cv2
import mmcv
import numpy as np
from mmcv.transforms import Resize

from mmpretrain.datasets.transforms import (RandomCrop, RandomResizedCrop,
                                            ResizeEdge)
from mmpretrain.registry import TRANSFORMS
from .formatting import IGNORE_INDEX

MASK_KEY = 'gt_seg_map'


def resize_mask(mask: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Resize a mask to ``size`` (width, height) with nearest neighbour.

    ``INTER_NEAREST_EXACT`` samples at pixel centres, the grid that the
    bilinear resize of the image uses; plain ``INTER_NEAREST`` samples at
    pixel corners and shifts the mask by up to half a source pixel.

    Args:
        mask (np.ndarray): (H, W) uint8 mask.
        size (tuple[int, int]): Output (width, height).

    Returns:
        np.ndarray: The resized (height, width) mask.
    """
    return cv2.resize(mask, tuple(size), interpolation=cv2.INTER_NEAREST_EXACT)


def _crop(img: np.ndarray, params: Tuple[int, int, int, int]) -> np.ndarray:
    offset_h, offset_w, target_h, target_w = params
    return mmcv.imcrop(
        img,
        np.array([
            offset_w, offset_h, offset_w + target_w - 1,
            offset_h + target_h - 1
        ]))


@TRANSFORMS.register_module()
class MaskedRandomCrop(RandomCrop):
    """:class:`mmpretrain.datasets.transforms.RandomCrop` that also crops
    ``gt_seg_map``.

    Padded mask pixels are 255 (ignore) under ``padding_mode='constant'``;
    the other modes pad the mask as the image (edge, reflect, symmetric),
    so a reflected object stays an object.

    **Modified Keys:** ``img``, ``img_shape``, ``gt_seg_map`` (if present).

    Args: as :class:`mmpretrain.datasets.transforms.RandomCrop`.
    """

    def _pad(self, img: np.ndarray, pad_val) -> np.ndarray:
        # The same two paddings, in the same order, as RandomCrop.transform.
        if self.padding is not None:
            img = mmcv.impad(img, padding=self.padding, pad_val=pad_val)
        if self.pad_if_needed:
            h_pad = math.ceil(max(0, self.crop_size[0] - img.shape[0]) / 2)
            w_pad = math.ceil(max(0, self.crop_size[1] - img.shape[1]) / 2)
            img = mmcv.impad(
                img,
                padding=(w_pad, h_pad, w_pad, h_pad),
                pad_val=pad_val,
                padding_mode=self.padding_mode)
        return img

    def transform(self, results: dict) -> dict:
        """Crop the image and the mask at the same random location.

        Args:
            results (dict): The sample.

        Returns:
            dict: The cropped sample.
        """
        img = self._pad(results['img'], self.pad_val)
        params = self.rand_crop_params(img)
        results['img'] = _crop(img, params)
        results['img_shape'] = results['img'].shape
        mask: Optional[np.ndarray] = results.get(MASK_KEY)
        if mask is not None:
            results[MASK_KEY] = _crop(self._pad(mask, IGNORE_INDEX), params)
        return results


@TRANSFORMS.register_module()
class MaskedRandomResizedCrop(RandomResizedCrop):
    """:class:`mmpretrain.datasets.transforms.RandomResizedCrop` that also
    crops and resizes ``gt_seg_map``.

    **Modified Keys:** ``img``, ``img_shape``, ``gt_seg_map`` (if present).

    Args: as :class:`mmpretrain.datasets.transforms.RandomResizedCrop`.
    """

    def transform(self, results: dict) -> dict:
        """Crop the image and the mask alike and resize both to ``scale``.

        Args:
            results (dict): The sample.

        Returns:
            dict: The cropped and resized sample.
        """
        params = self.rand_crop_params(results['img'])
        size = tuple(self.scale[::-1])
        results['img'] = mmcv.imresize(
            _crop(results['img'], params),
            size,
            interpolation=self.interpolation,
            backend=self.backend)
        results['img_shape'] = results['img'].shape
        mask: Optional[np.ndarray] = results.get(MASK_KEY)
        if mask is not None:
            results[MASK_KEY] = resize_mask(_crop(mask, params), size)
        return results


@TRANSFORMS.register_module()
class MaskedResizeEdge(ResizeEdge):
    """:class:`mmpretrain.datasets.transforms.ResizeEdge` that also resizes
    ``gt_seg_map``.

    **Modified Keys:** ``img``, ``img_shape``, ``scale``, ``scale_factor``,
    ``gt_seg_map`` (if present).

    Args: as :class:`mmpretrain.datasets.transforms.ResizeEdge`.
    """

    def transform(self, results: dict) -> dict:
        """Resize the image, then the mask to the image's new size.

        Args:
            results (dict): The sample.

        Returns:
            dict: The resized sample.
        """
        results = super().transform(results)
        mask: Optional[np.ndarray] = results.get(MASK_KEY)
        if mask is not None:
            results[MASK_KEY] = resize_mask(mask, results['scale'])
        return results


@TRANSFORMS.register_module()
class MaskedResize(Resize):
    """:class:`mmcv.transforms.Resize` whose ``gt_seg_map`` lands on the
    image's pixel grid (see :func:`resize_mask`).

    Args: as :class:`mmcv.transforms.Resize`.
    """

    def _resize_seg(self, results: dict) -> None:
        mask: Optional[np.ndarray] = results.get(MASK_KEY)
        if mask is not None:
            height, width = results['img'].shape[:2]
            results[MASK_KEY] = resize_mask(mask, (width, height))
