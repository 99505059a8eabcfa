"""How object masks are stored on disk and how they are decoded into 1
object / 0 background / :data:`IGNORE_INDEX`."""
import numpy as np

#: Value of mask pixels that no metric counts (object or background unknown).
IGNORE_INDEX = 255

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


def check_mask_convention(convention: str) -> str:
    """Raise unless ``convention`` names one of :data:`MASK_CONVENTIONS`.

    Args:
        convention (str): The name to check.

    Returns:
        str: ``convention``, unchanged.

    Raises:
        ValueError: If ``convention`` is not a key of
            :data:`MASK_CONVENTIONS`.
    """
    if convention not in MASK_CONVENTIONS:
        raise ValueError(f'Unknown mask convention {convention!r}; choose '
                         f'one of {sorted(MASK_CONVENTIONS)}.')
    return convention


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

    Raises:
        ValueError: If ``convention`` is unknown or the mask holds a value
            the convention does not use.
    """
    check_mask_convention(convention)
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
