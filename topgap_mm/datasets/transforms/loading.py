"""Transforms that load an image's object mask and object boxes, oriented
like the image."""
from typing import Optional, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio

from mmpretrain.registry import TRANSFORMS
from ..image_orientation import (orient_boxes_like_image, orient_like_image,
                                 read_image_frame, upright_shape)
from ..mask_conventions import (CUB_THRESHOLD, MASK_CONVENTIONS,
                                check_mask_convention, decode_object_mask)
from ..object_boxes import check_boxes_inside


class _FollowImageExif(BaseTransform):
    """Base of the loaders of annotations made on an image's stored pixels.

    mmcv's ``LoadImageFromFile`` with its default ``color_type='color'``
    shows an image upright by its EXIF orientation (cv2 and pillow backends
    alike), so by default the annotation gets the same rotation or flip;
    with ``color_type='color_ignore_orientation'`` set
    ``follow_image_exif`` to False.

    Args:
        follow_image_exif (bool): Give the annotation the EXIF orientation
            of its image file, as the image loader does. Defaults to True.
        backend_args (dict, optional): Arguments of the file backend.
    """

    #: What the transform loads, for the messages.
    what = 'the annotation'

    def __init__(self,
                 follow_image_exif: bool = True,
                 backend_args: Optional[dict] = None) -> None:
        self.follow_image_exif = follow_image_exif
        self.backend_args = backend_args

    def _image_frame(self,
                     results: dict) -> Tuple[int, Optional[Tuple[int, int]]]:
        """:func:`read_image_frame` of the sample's image file; ``(1,
        None)`` for an image without a file."""
        img_path = results.get('img_path')
        if img_path is None:
            return 1, None
        return read_image_frame(
            fileio.get(img_path, backend_args=self.backend_args))

    def _mismatch_hint(self,
                       results: dict,
                       orientation: int,
                       detail: str,
                       provided_by: Optional[str] = None) -> str:
        """Why an annotation does not fit its image, for the error.

        Args:
            results (dict): The sample.
            orientation (int): The orientation the annotation was given.
            detail (str): The annotation's stored size, for the message.
            provided_by (str, optional): Where the annotation file comes
                from, named when the file itself is at fault.
        """
        name = type(self).__name__
        if self.follow_image_exif and orientation != 1:
            return (f'the image carries EXIF orientation {orientation}, '
                    f'which was applied to {self.what} ({detail}); if the '
                    f'image loader ignores orientation (color_type='
                    f'\'color_ignore_orientation\'), set '
                    f'{name}(follow_image_exif=False)')
        if not self.follow_image_exif:
            orientation = self._image_frame(results)[0]
            if orientation != 1:
                return (f'the image carries EXIF orientation {orientation}, '
                        f'which the image loader applied but {self.what} '
                        f'did not get: set {name}(follow_image_exif=True)')
        file_orientation, stored = self._image_frame(results)
        img = results.get('img')
        if (stored is not None and img is not None and img.shape[:2] in (
                tuple(stored), upright_shape(stored, file_orientation))):
            # Nothing has resized or cropped the image since it was read, so
            # no pipeline order can be at fault.
            source = f': replace it with the one from {provided_by}' if (
                provided_by) else ''
            return (f'the image is as stored in its file, so the '
                    f'{self.what[len("the "):]} file itself does not fit '
                    f'it (one of another image, or resized){source}')
        return f'load {self.what} before any geometric transform'


@TRANSFORMS.register_module()
class LoadObjectMask(_FollowImageExif):
    """Load the object mask of an image into ``gt_seg_map``.

    The mask ends up where mmcv's ``Resize``, ``CenterCrop``, ``RandomFlip``
    and ``Pad`` and this package's ``Masked*`` transforms move it with the
    image, as (H, W) uint8 with 1 object, 0 background and 255 ignore.
    Place it right after ``LoadImageFromFile``.

    Masks are annotated on the image's stored pixels (CUB, Pets and COCO
    masks have the stored width and height). mmcv's ``LoadImageFromFile``
    with its default ``color_type='color'`` shows an image upright by its
    EXIF orientation (cv2 and pillow backends alike), so by default the
    mask gets the same rotation or flip; with
    ``color_type='color_ignore_orientation'`` set ``follow_image_exif``
    to False.

    **Required Keys:** ``mask_path`` (the transform does nothing without
    it: the dataset has no masks), ``mask_convention`` unless given here.

    **Added Keys:** ``gt_seg_map``.

    Args:
        convention (str, optional): How the mask is stored, a key of
            :data:`MASK_CONVENTIONS`; None takes the sample's
            ``mask_convention`` set by the dataset. Defaults to None.
        threshold (int): Object threshold of ``'cub'`` masks (uint8 values).
            Defaults to :data:`CUB_THRESHOLD`.
        follow_image_exif (bool): Give the mask the EXIF orientation of its
            image file, as the image loader does. Defaults to True.
        backend_args (dict, optional): Arguments of the file backend.
    """

    what = 'the mask'

    def __init__(self,
                 convention: Optional[str] = None,
                 threshold: int = CUB_THRESHOLD,
                 follow_image_exif: bool = True,
                 backend_args: Optional[dict] = None) -> None:
        if convention is not None:
            check_mask_convention(convention)
        if not 0 < threshold <= 255:
            raise ValueError(
                f'threshold must be in (0, 255], got {threshold}.')
        super().__init__(follow_image_exif, backend_args)
        self.convention = convention
        self.threshold = threshold

    def transform(self, results: dict) -> dict:
        """Read, decode and check the mask.

        Args:
            results (dict): The sample, after ``LoadImageFromFile``.

        Returns:
            dict: ``results`` with ``gt_seg_map``.
        """
        path = results.get('mask_path')
        if path is None:
            return results
        convention = self.convention or results['mask_convention']
        try:
            content = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            # Never fall back to an all-background mask: it would bias every
            # localisation score.
            raise FileNotFoundError(
                f'Object mask not found: {path!r} (image '
                f'{results.get("img_path")!r}). It is provided by '
                f'{MASK_CONVENTIONS[convention]}.') from None
        raw = cv2.imdecode(
            np.frombuffer(content, np.uint8), cv2.IMREAD_UNCHANGED)
        if raw is None:
            raise ValueError(f'Cannot decode the object mask {path!r}.')
        mask = decode_object_mask(raw, convention, self.threshold)
        orientation = 1
        if self.follow_image_exif:
            orientation = self._image_frame(results)[0]
            mask = orient_like_image(mask, orientation)
        img = results.get('img')
        if img is not None and img.shape[:2] != mask.shape:
            detail = f'stored, the mask is {raw.shape[1]}x{raw.shape[0]}'
            hint = self._mismatch_hint(results, orientation, detail,
                                       MASK_CONVENTIONS[convention])
            raise ValueError(
                f'The object mask {path!r} is {mask.shape[1]}x'
                f'{mask.shape[0]} but the image '
                f'{results.get("img_path")!r} is '
                f'{img.shape[1]}x{img.shape[0]} (width x height); {hint}.')
        results['gt_seg_map'] = mask
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(convention={self.convention!r}, '
                f'threshold={self.threshold}, '
                f'follow_image_exif={self.follow_image_exif}, '
                f'backend_args={self.backend_args})')


@TRANSFORMS.register_module()
class LoadObjectBoxes(_FollowImageExif):
    """Load the object boxes of an image into ``gt_bboxes``.

    Datasets put the boxes as annotated, on the image's stored pixels, into
    ``object_boxes``. This transform gives them the image's EXIF orientation
    as the image loader does (see :class:`LoadObjectMask`), checks that they
    lie in the image and clips them to it. ``gt_bboxes`` is (N, 4) float32
    ``(x0, y0, x1, y1)`` in pixels with ``x1 = x0 + width`` (a box over the
    pixel columns 3, 4 and 5 has ``x0 = 3, x1 = 6``), the convention of
    mmcv's and mmdet's transforms: mmcv's ``Resize``, ``CenterCrop``,
    ``RandomFlip`` and ``Pad`` and this package's ``Masked*`` transforms
    move the boxes with the image, and ``PackMaskedInputs`` packs them as
    ``data_sample.gt_object_boxes``. Place it right after
    ``LoadImageFromFile``.

    **Required Keys:** ``img``, ``object_boxes`` ((N, 4) ``(x0, y0, x1,
    y1)``; the transform does nothing without it: the dataset has no
    boxes), ``box_file`` (optional, the annotation file for messages).

    **Added Keys:** ``gt_bboxes``.

    Args:
        follow_image_exif (bool): Give the boxes the EXIF orientation of
            their image file, as the image loader does. Defaults to True.
        backend_args (dict, optional): Arguments of the file backend.
    """

    what = 'the boxes'

    def transform(self, results: dict) -> dict:
        """Orient, check and clip the boxes.

        Args:
            results (dict): The sample, after ``LoadImageFromFile``.

        Returns:
            dict: ``results`` with ``gt_bboxes``.
        """
        boxes = results.get('object_boxes')
        if boxes is None:
            return results
        height, width = results['img'].shape[:2]
        orientation, stored = self._image_frame(results)
        if stored is None:
            orientation, stored = 1, (height, width)
        applied = orientation if self.follow_image_exif else 1
        upright = upright_shape(stored, applied)
        img_path = results.get('img_path')
        if upright != (height, width):
            detail = f'stored, the image is {stored[1]}x{stored[0]}'
            raise ValueError(
                f'The image {img_path!r} is {width}x{height} (width x '
                f'height) where its object boxes expect {upright[1]}x'
                f'{upright[0]}; '
                f'{self._mismatch_hint(results, applied, detail)}.')
        where = (f'the image {img_path!r} (boxes from '
                 f'{results.get("box_file")!r})')
        boxes = check_boxes_inside(boxes, stored, where)
        results['gt_bboxes'] = orient_boxes_like_image(boxes, applied, stored)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f'follow_image_exif={self.follow_image_exif}, '
                f'backend_args={self.backend_args})')
