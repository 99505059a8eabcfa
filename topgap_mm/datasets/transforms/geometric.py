"""Mask- and box-aware versions of MMPretrain's geometric transforms.

MMPretrain's ``RandomCrop``, ``RandomResizedCrop`` and ``ResizeEdge`` move
only ``img``; the versions here apply the same crop and resize to the object
mask in ``gt_seg_map`` (nearest neighbour, so its values stay 0/1/255) and
to the object boxes in ``gt_bboxes`` (``(x0, y0, x1, y1)`` pixel edges,
clipped to the new image; a box cut to nothing stays, with zero area).
Without a mask or boxes they behave exactly like the originals. mmcv's
``CenterCrop``, ``RandomFlip`` and ``Pad`` move ``gt_seg_map`` and
``gt_bboxes`` exactly (``Pad`` pads at the bottom and right, so boxes stay);
mmcv's ``Resize`` scales the boxes exactly and moves the mask too, but with
``INTER_NEAREST``, whose half-pixel shift disagrees with the image on about
0.6% of the pixels of a CUB image resized to 256x256 (2% at a 4x
downscale); ``MaskedResize`` fixes that.
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
from ..mask_conventions import IGNORE_INDEX

MASK_KEY = 'gt_seg_map'
BOX_KEY = 'gt_bboxes'


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


def move_boxes(boxes: np.ndarray,
               offset: Tuple[float, float] = (0., 0.),
               scale: Tuple[float, float] = (1., 1.),
               size: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Boxes after cropping the image at ``offset`` and resizing it.

    Pixel edges map exactly: a resize by ``s`` takes the edge at ``x`` to
    ``s * x``, as the pixel-centre grid of OpenCV's resize does.

    Args:
        boxes (np.ndarray): (N, 4) ``(x0, y0, x1, y1)`` pixel edges.
        offset (tuple[float, float]): (x, y) of the crop's top-left corner;
            negative for padding.
        scale (tuple[float, float]): (x, y) resize factor after the crop.
        size (tuple[int, int], optional): (width, height) of the new image
            to clip to; None does not clip.

    Returns:
        np.ndarray: (N, 4) float32 boxes, as many as given.
    """
    boxes = (np.asarray(boxes, dtype=np.float32).reshape(-1, 4) -
             np.tile(np.asarray(offset, np.float32), 2)) * np.tile(
                 np.asarray(scale, np.float32), 2)
    if size is not None:
        boxes[:, 0::2] = boxes[:, 0::2].clip(0, size[0])
        boxes[:, 1::2] = boxes[:, 1::2].clip(0, size[1])
    return boxes


def tight_box(mask: np.ndarray) -> np.ndarray:
    """The tight box of a mask's object pixels (value 1).

    Args:
        mask (np.ndarray): (H, W) mask, 1 object.

    Returns:
        np.ndarray: (1, 4) float32 ``(x0, y0, x1, y1)`` with ``x0`` the
        first and ``x1 - 1`` the last object column (likewise rows); (0, 4)
        for a mask without object pixels.
    """
    rows, cols = np.nonzero(np.asarray(mask) == 1)
    if rows.size == 0:
        return np.zeros((0, 4), np.float32)
    return np.array(
        [[cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]],
        dtype=np.float32)


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
    ``gt_seg_map`` and ``gt_bboxes``.

    Padded mask pixels are 255 (ignore) under ``padding_mode='constant'``;
    the other modes pad the mask as the image (edge, reflect, symmetric),
    so a reflected object stays an object. Boxes keep to the original
    object: a reflection gets no box.

    **Modified Keys:** ``img``, ``img_shape``, ``gt_seg_map`` and
    ``gt_bboxes`` (if present).

    Args: as :class:`mmpretrain.datasets.transforms.RandomCrop`.
    """

    def _pad(self, img: np.ndarray,
             pad_val) -> Tuple[np.ndarray, Tuple[int, int]]:
        """Pad as RandomCrop.transform does: the same two paddings, in the
        same order. Also returns the (left, top) padding, where the
        original pixels now start."""
        left = top = 0
        if self.padding is not None:
            img = mmcv.impad(img, padding=self.padding, pad_val=pad_val)
            # mmcv.impad: an int pads all sides; 2 and 4 values both start
            # with the left, then the top padding.
            left, top = ((self.padding, self.padding) if isinstance(
                self.padding, int) else tuple(self.padding[:2]))
        if self.pad_if_needed:
            h_pad = math.ceil(max(0, self.crop_size[0] - img.shape[0]) / 2)
            w_pad = math.ceil(max(0, self.crop_size[1] - img.shape[1]) / 2)
            img = mmcv.impad(
                img,
                padding=(w_pad, h_pad, w_pad, h_pad),
                pad_val=pad_val,
                padding_mode=self.padding_mode)
            left, top = left + w_pad, top + h_pad
        return img, (left, top)

    def transform(self, results: dict) -> dict:
        """Crop the image, the mask and the boxes at the same random
        location.

        Args:
            results (dict): The sample.

        Returns:
            dict: The cropped sample.
        """
        img, (left, top) = self._pad(results['img'], self.pad_val)
        params = self.rand_crop_params(img)
        results['img'] = _crop(img, params)
        results['img_shape'] = results['img'].shape
        mask: Optional[np.ndarray] = results.get(MASK_KEY)
        if mask is not None:
            results[MASK_KEY] = _crop(
                self._pad(mask, IGNORE_INDEX)[0], params)
        boxes: Optional[np.ndarray] = results.get(BOX_KEY)
        if boxes is not None:
            offset_h, offset_w = params[:2]
            height, width = results['img'].shape[:2]
            results[BOX_KEY] = move_boxes(
                boxes,
                offset=(offset_w - left, offset_h - top),
                size=(width, height))
        return results


@TRANSFORMS.register_module()
class MaskedRandomResizedCrop(RandomResizedCrop):
    """:class:`mmpretrain.datasets.transforms.RandomResizedCrop` that also
    crops and resizes ``gt_seg_map`` and ``gt_bboxes``.

    **Modified Keys:** ``img``, ``img_shape``, ``gt_seg_map`` and
    ``gt_bboxes`` (if present).

    Args: as :class:`mmpretrain.datasets.transforms.RandomResizedCrop`.
    """

    def transform(self, results: dict) -> dict:
        """Crop the image, the mask and the boxes alike and resize them to
        ``scale``.

        Args:
            results (dict): The sample.

        Returns:
            dict: The cropped and resized sample.
        """
        params = self.rand_crop_params(results['img'])
        size = tuple(self.scale[::-1])
        crop = _crop(results['img'], params)
        results['img'] = mmcv.imresize(
            crop,
            size,
            interpolation=self.interpolation,
            backend=self.backend)
        results['img_shape'] = results['img'].shape
        mask: Optional[np.ndarray] = results.get(MASK_KEY)
        if mask is not None:
            results[MASK_KEY] = resize_mask(_crop(mask, params), size)
        boxes: Optional[np.ndarray] = results.get(BOX_KEY)
        if boxes is not None:
            offset_h, offset_w = params[:2]
            results[BOX_KEY] = move_boxes(
                boxes,
                offset=(offset_w, offset_h),
                scale=(size[0] / crop.shape[1], size[1] / crop.shape[0]),
                size=size)
        return results


@TRANSFORMS.register_module()
class MaskedResizeEdge(ResizeEdge):
    """:class:`mmpretrain.datasets.transforms.ResizeEdge` that also resizes
    ``gt_seg_map`` and ``gt_bboxes``.

    **Modified Keys:** ``img``, ``img_shape``, ``scale``, ``scale_factor``,
    ``gt_seg_map`` and ``gt_bboxes`` (if present).

    Args: as :class:`mmpretrain.datasets.transforms.ResizeEdge`.
    """

    def transform(self, results: dict) -> dict:
        """Resize the image, then the mask and the boxes to the image's new
        size.

        Args:
            results (dict): The sample.

        Returns:
            dict: The resized sample.
        """
        results = super().transform(results)
        mask: Optional[np.ndarray] = results.get(MASK_KEY)
        if mask is not None:
            results[MASK_KEY] = resize_mask(mask, results['scale'])
        boxes: Optional[np.ndarray] = results.get(BOX_KEY)
        if boxes is not None:
            results[BOX_KEY] = move_boxes(
                boxes,
                scale=results['scale_factor'],
                size=results['scale'])
        return results


@TRANSFORMS.register_module()
class MaskedResize(Resize):
    """:class:`mmcv.transforms.Resize` whose ``gt_seg_map`` lands on the
    image's pixel grid (see :func:`resize_mask`).

    ``gt_bboxes`` are scaled (and clipped) by :class:`mmcv.transforms.Resize`
    itself, which gives them numpy's float64.

    Args: as :class:`mmcv.transforms.Resize`.
    """

    def _resize_seg(self, results: dict) -> None:
        mask: Optional[np.ndarray] = results.get(MASK_KEY)
        if mask is not None:
            height, width = results['img'].shape[:2]
            results[MASK_KEY] = resize_mask(mask, (width, height))
