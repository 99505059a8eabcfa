"""The EXIF orientation of image files, and how masks and boxes annotated
on an image's stored pixels follow it to the upright image."""
import io
from typing import Optional, Tuple

import numpy as np
from PIL import Image, UnidentifiedImageError

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
