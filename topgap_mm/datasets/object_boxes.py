"""Object boxes as the datasets list them: parsing ``(x, y, width,
height)`` annotations and checking that boxes lie in their image."""
from typing import Sequence, Tuple

import numpy as np

#: A box may reach this many pixels past its image's border (annotation
#: tools round); it is then clipped to the image.
BOX_TOLERANCE = 1.


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
