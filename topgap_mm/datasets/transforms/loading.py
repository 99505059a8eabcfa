"""Loading of object masks and boxes, and the file checks the datasets
share."""
import io
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from PIL import Image, UnidentifiedImageError

from mmpretrain.registry import TRANSFORMS
from .formatting import IGNORE_INDEX

#: Mask value conventions: name -> where such masks come from (for errors).
MASK_CONVENTIONS = {
    # CUB-200-2011 `segmentations/`: grayscale, the share of annotators who
    # marked the pixel as bird (0, 51, ..., 255 for five annotators).
    'cub': 'the CUB-200-2011 segmentations archive "segmentations.tgz" '
    '(unpacked to `segmentations/<class folder>/<image name>.png`)',
    # Oxford-IIIT Pet `annotations/trimaps/`: 1 pet, 2 background, 3 border.
    'pet_trimap': 'the Oxford-IIIT Pet archive "annotations.tar.gz" '
    '(unpacked to `annotations/trimaps/<image name>.png`)',
    # Already 1 object / 0 background (/ 255 ignore).
    'binary': 'the converter that wrote the dataset\'s annotation file '
    '(e.g. `python tools/dataset_converters/coco_single_object.py`)',
}
#: CUB masks: a pixel is object when at least this share of the annotators
#: marked it; 128/255 is a strict majority of CUB's five annotators (153).
CUB_THRESHOLD = 128

#: EXIF orientation tag -> what showing the stored pixels upright does to
#: them, as PIL's ``ImageOps.exif_transpose`` and OpenCV's ``IMREAD_COLOR``
#: apply it: ``(flip left-right, flip up-down, then transpose)``. 2-4 are
#: flips and 180 degrees, 5-8 swap height and width (6 turns clockwise, 8
#: anticlockwise). Masks and boxes both follow this one table.
EXIF_ORIENTATION = 0x0112
_ORIENT = {
    2: (True, False, False),
    3: (True, True, False),
    4: (False, True, False),
    5: (False, False, True),
    6: (False, True, True),
    7: (True, True, True),
    8: (True, False, True),
}
#: A box may reach this many pixels past its image's border (annotation
#: tools round); it is then clipped to the image.
BOX_TOLERANCE = 1.


def check_exists(path: str,
                 provided_by: str,
                 what: str = 'File',
                 backend_args: Optional[dict] = None) -> str:
    """Raise a :class:`FileNotFoundError` that says where ``path`` comes from.

    Args:
        path (str): The file or folder that must exist.
        provided_by (str): The archive or command that provides it.
        what (str): What the path is, for the message. Defaults to 'File'.
        backend_args (dict, optional): Arguments of the file backend.

    Returns:
        str: ``path``, unchanged.
    """
    if not fileio.exists(path, backend_args=backend_args):
        raise FileNotFoundError(
            f'{what} not found: {path!r}. It is provided by {provided_by}.')
    return path


#: Missing files named in the error before "...".
SHOWN_MISSING = 5


def path_inside(root: str, rel_path: str, where: str) -> str:
    """Join a path listed in an annotation file onto its folder.

    A listed path that is absolute or climbs out of ``root`` through ``..``
    reads a file that is no part of the dataset (another split's, or
    another dataset's) without any other check noticing.

    Args:
        root (str): The folder the listed paths are relative to.
        rel_path (str): The path as listed.
        where (str): The file and line (or entry) listing it, for the error.

    Returns:
        str: ``rel_path`` joined onto ``root``.

    Raises:
        ValueError: If ``rel_path`` is absolute or leads out of ``root``.
    """
    normal = osp.normpath(rel_path)
    if osp.isabs(rel_path) or normal == osp.pardir or normal.startswith(
            osp.pardir + osp.sep):
        raise ValueError(
            f'{where}: the path {rel_path!r} points outside {root!r}; '
            'expected a path relative to that folder and below it, as the '
            "dataset's own lists give them.")
    return osp.join(root, rel_path)


def check_listed_once(seen: Dict[str, str], key: str, listed: str,
                      where: str) -> None:
    """Record where a sample is listed; a second listing is an error.

    An image listed twice is counted twice, and under two split values it
    is a test image trained on.

    Args:
        seen (dict): Sample key -> where it was listed (``'on line 3'``),
            filled by the calls.
        key (str): The sample's image (or id).
        listed (str): Where this listing is, as stored in ``seen``.
        where (str): The file and line (or entry), for the error.

    Raises:
        ValueError: If ``key`` was listed before.
    """
    if key in seen:
        raise ValueError(
            f'{where}: {key} is already listed {seen[key]}; expected each '
            'image once (listed twice it is counted twice, or lands in two '
            'splits).')
    seen[key] = listed


def check_label(label: int, num_classes: int, image: str, where: str) -> int:
    """Raise unless a listed label is one of the dataset's classes.

    MMPretrain takes any integer: a label past the class count fails only
    in the loss, without naming the line, and a negative one indexes from
    the end of the class list.

    Args:
        label (int): The label as listed, counted from 0.
        num_classes (int): The number of classes.
        image (str): The image it labels, for the message.
        where (str): The file and line (or entry), for the message.

    Returns:
        int: ``label``, unchanged.

    Raises:
        ValueError: If ``label`` is not an int in ``0..num_classes - 1``.
    """
    if (not isinstance(label, int) or isinstance(label, bool)
            or not 0 <= label < num_classes):
        raise ValueError(
            f'{where}: label {label!r} of {image!r} is outside the '
            f'{num_classes} classes (0..{num_classes - 1}).')
    return label


def check_splits_disjoint(lists: Dict[str, Dict[str, int]]) -> None:
    """Raise if an image is in the lists of two official splits.

    A test image listed for training too is trained on, and no check of a
    single list can see it.

    Args:
        lists (dict): Annotation file -> (image -> its line number), in
            the order of the splits.

    Raises:
        ValueError: Naming the first shared image, its two lines and the
            count of the others.
    """
    paths = list(lists)
    for i, first in enumerate(paths):
        for second in paths[i + 1:]:
            shared = [key for key in lists[first] if key in lists[second]]
            if shared:
                more = f', as are {len(shared) - 1} more' if len(
                    shared) > 1 else ''
                raise ValueError(
                    f'{shared[0]!r} is in {first} (line '
                    f'{lists[first][shared[0]]}) and in {second} (line '
                    f'{lists[second][shared[0]]}){more}; an image belongs '
                    'to one official split.')


def check_listed_files(data_list: Sequence[dict],
                       provided_by: Dict[str, str],
                       source: str) -> None:
    """Check at build time that every file a data list names exists.

    A listed image that is missing would otherwise fail only when its batch
    loads, possibly hours into training.

    Args:
        data_list (Sequence[dict]): The dataset's data infos.
        provided_by (dict): Info key (``'img_path'``, ``'mask_path'``) ->
            the archive or command that provides those files.
        source (str): The annotation file that lists them, for the message.

    Raises:
        FileNotFoundError: With the count and the first missing paths.
    """
    for key, archive in provided_by.items():
        missing = [
            info[key] for info in data_list
            if key in info and '://' not in info[key]
            and not osp.isfile(info[key])
        ]
        if missing:
            shown = ', '.join(repr(p) for p in missing[:SHOWN_MISSING])
            more = ', ...' if len(missing) > SHOWN_MISSING else ''
            raise FileNotFoundError(
                f'{len(missing)} of the {len(data_list)} files listed in '
                f'{source} ({key}) do not exist: {shown}{more}. They are '
                f'provided by {archive}.')


def decode_object_mask(mask: np.ndarray,
                       convention: str,
                       threshold: int = CUB_THRESHOLD) -> np.ndarray:
    """Turn a mask as stored on disk into 1 object / 0 background / 255.

    Args:
        mask (np.ndarray): The decoded PNG, (H, W) or (H, W, C) uint8.
        convention (str): A key of :data:`MASK_CONVENTIONS`.
        threshold (int): Object threshold of ``'cub'`` masks. Defaults to
            :data:`CUB_THRESHOLD`.

    Returns:
        np.ndarray: (H, W) uint8 mask.
    """
    if convention not in MASK_CONVENTIONS:
        raise ValueError(f'Unknown mask convention {convention!r}; choose '
                         f'one of {sorted(MASK_CONVENTIONS)}.')
    if mask.ndim == 3:
        # A few CUB masks are stored as RGB(A) with equal colour channels.
        mask = mask[..., 0]
    if convention == 'cub':
        return (mask >= threshold).astype(np.uint8)
    if convention == 'pet_trimap':
        allowed = (1, 2, 3)
        out = np.full(mask.shape, IGNORE_INDEX, dtype=np.uint8)
        out[mask == 1] = 1
        out[mask == 2] = 0
    else:
        allowed = (0, 1, IGNORE_INDEX)
        out = mask.astype(np.uint8)
    bad = ~np.isin(mask, allowed)
    if bad.any():
        # E.g. a trimap saved as a 0-255 visualisation: refuse rather than
        # guess which pixels are background.
        raise ValueError(
            f'A {convention!r} mask may only hold the values {allowed}, got '
            f'{int(mask[bad][0])}.')
    return out


def read_image_frame(
        content: bytes) -> Tuple[int, Optional[Tuple[int, int]]]:
    """The EXIF orientation and the stored size of an encoded image.

    Only the header is parsed; the pixels are not decoded.

    Args:
        content (bytes): The image file's bytes.

    Returns:
        tuple: The orientation tag (1-8, 1 when absent or unreadable) and
        the stored (height, width) before orientation (None when
        unreadable).
    """
    try:
        with Image.open(io.BytesIO(content)) as image:
            value = image.getexif().get(EXIF_ORIENTATION, 1)
            width, height = image.size
    except (UnidentifiedImageError, OSError):
        return 1, None
    return (value if value in _ORIENT else 1), (height, width)


def exif_orientation(content: bytes) -> int:
    """The EXIF orientation (1-8) of an encoded image; 1 when it has none.

    Args:
        content (bytes): The image file's bytes.

    Returns:
        int: The orientation tag, 1 (upright) when absent or unreadable.
    """
    return read_image_frame(content)[0]


def orient_like_image(mask: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation to a mask stored in the image's raw frame.

    Args:
        mask (np.ndarray): (H, W) mask of the stored (unrotated) pixels.
        orientation (int): EXIF orientation tag, 1-8.

    Returns:
        np.ndarray: The mask as the upright image shows it.
    """
    if orientation not in _ORIENT:
        return mask
    flip_x, flip_y, transpose = _ORIENT[orientation]
    if flip_x:
        mask = mask[:, ::-1]
    if flip_y:
        mask = mask[::-1]
    if transpose:
        mask = mask.T
    return np.ascontiguousarray(mask)


def upright_shape(shape: Tuple[int, int],
                  orientation: int) -> Tuple[int, int]:
    """The (height, width) of stored pixels of ``shape`` shown upright.

    Args:
        shape (tuple[int, int]): Stored (height, width).
        orientation (int): EXIF orientation tag, 1-8.

    Returns:
        tuple[int, int]: ``shape``, swapped for orientations 5-8.
    """
    swaps = orientation in _ORIENT and _ORIENT[orientation][2]
    return (shape[1], shape[0]) if swaps else tuple(shape)


def orient_boxes_like_image(boxes: np.ndarray, orientation: int,
                            stored_shape: Tuple[int, int]) -> np.ndarray:
    """Apply an EXIF orientation to boxes given on the stored pixels.

    Args:
        boxes (np.ndarray): (N, 4) ``(x0, y0, x1, y1)`` pixel edges
            (``x1 = x0 + width``) on the stored (unrotated) pixels.
        orientation (int): EXIF orientation tag, 1-8.
        stored_shape (tuple[int, int]): (height, width) of the stored
            pixels.

    Returns:
        np.ndarray: (N, 4) float32 boxes on the upright image, the tight
        boxes of the oriented pixels that the boxes covered.
    """
    boxes = np.array(boxes, dtype=np.float32).reshape(-1, 4)
    if orientation not in _ORIENT:
        return boxes
    flip_x, flip_y, transpose = _ORIENT[orientation]
    height, width = stored_shape
    if flip_x:
        boxes[:, [0, 2]] = width - boxes[:, [2, 0]]
    if flip_y:
        boxes[:, [1, 3]] = height - boxes[:, [3, 1]]
    if transpose:
        boxes = boxes[:, [1, 0, 3, 2]]
    return np.ascontiguousarray(boxes)


def boxes_from_xywh(xywh: Sequence[Sequence[float]],
                    where: str) -> np.ndarray:
    """Turn ``(x, y, width, height)`` annotations into ``gt_bboxes`` rows.

    Args:
        xywh (Sequence[Sequence[float]]): One ``(x, y, width, height)`` per
            box, in pixels (CUB's ``bounding_boxes.txt``, COCO's ``bbox``).
        where (str): The file and entry they come from, for the error.

    Returns:
        np.ndarray: (N, 4) float32 ``(x0, y0, x1, y1)`` with
        ``x1 = x + width`` and ``y1 = y + height``.

    Raises:
        ValueError: If a box is not four finite numbers or has a negative
            width or height.
    """
    try:
        boxes = np.array(xywh, dtype=np.float64).reshape(-1, 4)
    except (TypeError, ValueError):
        raise ValueError(f'{where}: expected boxes as (x, y, width, '
                         f'height) numbers, got {xywh!r}.') from None
    if not np.isfinite(boxes).all() or (boxes[:, 2:] < 0).any():
        raise ValueError(f'{where}: expected boxes as (x, y, width, height) '
                         f'with finite numbers and width, height >= 0, got '
                         f'{boxes.tolist()}.')
    boxes[:, 2:] += boxes[:, :2]
    return boxes.astype(np.float32)


def check_boxes_inside(boxes: np.ndarray, shape: Tuple[int, int],
                       where: str) -> np.ndarray:
    """Check that boxes lie in their image and clip them to it.

    Args:
        boxes (np.ndarray): (N, 4) ``(x0, y0, x1, y1)`` pixel edges.
        shape (tuple[int, int]): (height, width) of the image.
        where (str): The image and the annotation file, for the error.

    Returns:
        np.ndarray: (N, 4) float32 boxes clipped to the image.

    Raises:
        ValueError: If a box reaches more than :data:`BOX_TOLERANCE` pixels
            past the image, or has a negative width or height.
    """
    height, width = shape
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    low, high = -BOX_TOLERANCE, np.array([width, height]) + BOX_TOLERANCE
    bad = ((boxes[:, :2] < low).any(1) | (boxes[:, 2:] > high).any(1)
           | (boxes[:, 2:] < boxes[:, :2]).any(1) | ~np.isfinite(boxes).all(1))
    if bad.any():
        x0, y0, x1, y1 = boxes[bad][0].tolist()
        raise ValueError(
            f'The object box (x0, y0, x1, y1) = ({x0:g}, {y0:g}, {x1:g}, '
            f'{y1:g}), i.e. x={x0:g}, y={y0:g}, width={x1 - x0:g}, '
            f'height={y1 - y0:g}, of {where} does not fit the image of '
            f'{width}x{height} (width x height): expected 0 <= x0 <= x1 <= '
            f'{width} and 0 <= y0 <= y1 <= {height} (x1 = x + width, '
            f'{BOX_TOLERANCE:g} pixel of tolerance).')
    boxes[:, 0::2] = boxes[:, 0::2].clip(0, width)
    boxes[:, 1::2] = boxes[:, 1::2].clip(0, height)
    return boxes


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
        if convention is not None and convention not in MASK_CONVENTIONS:
            raise ValueError(f'Unknown mask convention {convention!r}; '
                             f'choose one of {sorted(MASK_CONVENTIONS)}.')
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
