"""Loading of object masks, and the file checks the datasets share."""
import io
import os.path as osp
from typing import Dict, Optional, Sequence

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
#: apply it (2-4 flips and 180 degrees, 5-8 swap height and width).
EXIF_ORIENTATION = 0x0112
_ORIENT = {
    2: lambda m: m[:, ::-1],
    3: lambda m: m[::-1, ::-1],
    4: lambda m: m[::-1],
    5: lambda m: m.T,
    6: lambda m: np.rot90(m, -1),
    7: lambda m: m[::-1, ::-1].T,
    8: lambda m: np.rot90(m, 1),
}


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


def exif_orientation(content: bytes) -> int:
    """The EXIF orientation (1-8) of an encoded image; 1 when it has none.

    Args:
        content (bytes): The image file's bytes.

    Returns:
        int: The orientation tag, 1 (upright) when absent or unreadable.
    """
    try:
        with Image.open(io.BytesIO(content)) as image:
            value = image.getexif().get(EXIF_ORIENTATION, 1)
    except (UnidentifiedImageError, OSError):
        return 1
    return value if value in _ORIENT else 1


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
    return np.ascontiguousarray(_ORIENT[orientation](mask))


@TRANSFORMS.register_module()
class LoadObjectMask(BaseTransform):
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
        self.convention = convention
        self.threshold = threshold
        self.follow_image_exif = follow_image_exif
        self.backend_args = backend_args

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
        img_path = results.get('img_path')
        if self.follow_image_exif and img_path is not None:
            orientation = exif_orientation(
                fileio.get(img_path, backend_args=self.backend_args))
            mask = orient_like_image(mask, orientation)
        img = results.get('img')
        if img is not None and img.shape[:2] != mask.shape:
            raise ValueError(
                f'The object mask {path!r} is {mask.shape[1]}x'
                f'{mask.shape[0]} but the image {img_path!r} is '
                f'{img.shape[1]}x{img.shape[0]} (width x height); '
                f'{self._mismatch_hint(img_path, raw, orientation)}.')
        results['gt_seg_map'] = mask
        return results

    def _mismatch_hint(self, img_path: Optional[str], raw: np.ndarray,
                       orientation: int) -> str:
        """Why a mask does not match its image, for the error."""
        if self.follow_image_exif and orientation != 1:
            return (f'the image carries EXIF orientation {orientation}, '
                    f'which the mask was given (stored, the mask is '
                    f'{raw.shape[1]}x{raw.shape[0]}); if the image loader '
                    f'ignores orientation (color_type='
                    f'\'color_ignore_orientation\'), set '
                    f'LoadObjectMask(follow_image_exif=False)')
        if not self.follow_image_exif and img_path is not None:
            orientation = exif_orientation(
                fileio.get(img_path, backend_args=self.backend_args))
            if orientation != 1:
                return (f'the image carries EXIF orientation {orientation}, '
                        f'which the image loader applied and the mask was '
                        f'not given: set '
                        f'LoadObjectMask(follow_image_exif=True)')
        return 'load the mask before any geometric transform'

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(convention={self.convention!r}, '
                f'threshold={self.threshold}, '
                f'follow_image_exif={self.follow_image_exif}, '
                f'backend_args={self.backend_args})')
