"""ImageNet-C corruptions applied on the fly, as pipeline transforms.

The corruptions come from ``imagecorruptions-imaug`` (a maintained fork of
``imagecorruptions`` that works with numpy 2 and current scikit-image and
runs offline). Images in MMPretrain pipelines are BGR uint8; the
corruptions are defined on RGB, so channels are flipped around the call.
The object mask (``gt_seg_map``) is not moved: all corruptions keep the
image geometry except for the small local displacements of
``elastic_transform``, ``glass_blur`` and ``zoom_blur``.
"""
import contextlib
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from mmpretrain.registry import TRANSFORMS

SEVERITIES = (1, 2, 3, 4, 5)


def corruption_names(subset: str = 'common') -> list:
    """Names of the corruptions: ``'common'`` (the 15 of ImageNet-C),
    ``'validation'`` (its 4 held-out ones) or ``'all'``."""
    return list(_package().get_corruption_names(subset))


def _package():
    try:
        import imagecorruptions
    except ImportError as e:
        raise ImportError('Corruptions need `pip install '
                          'imagecorruptions-imaug`.') from e
    return imagecorruptions


@contextlib.contextmanager
def _numpy_seed(seed: Optional[int]):
    # The package draws from numpy's global generator; seed it for this
    # image only and give the caller's stream back untouched.
    if seed is None:
        yield
        return
    state = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)


def corrupt_bgr(img: np.ndarray,
                corruption: str,
                severity: int,
                seed: Optional[int] = None) -> np.ndarray:
    """Corrupt a BGR (or grey) uint8 image, keeping its shape and order.

    Args:
        img (np.ndarray): (H, W, 3) BGR or (H, W) uint8 image.
        corruption (str): A name of :func:`corruption_names` ('all').
        severity (int): 1 to 5.
        seed (int, optional): Seed of the random parts; None uses numpy's
            global generator.

    Returns:
        np.ndarray: The corrupted image, same shape, uint8.
    """
    if img.ndim == 3 and img.shape[2] == 3:
        rgb = np.ascontiguousarray(img[..., ::-1])
    elif img.ndim == 2:
        rgb = np.ascontiguousarray(np.stack([img] * 3, axis=-1))
    else:
        raise ValueError(f'Expected an (H, W, 3) BGR or (H, W) image, got '
                         f'shape {img.shape}.')
    with _numpy_seed(seed):
        out = _package().corrupt(
            rgb, corruption_name=corruption, severity=severity)
    out = np.clip(np.rint(np.asarray(out, dtype=np.float64)), 0,
                  255).astype(np.uint8)
    if out.shape[:2] != img.shape[:2]:
        raise RuntimeError(
            f'Corruption {corruption!r} changed the image size from '
            f'{img.shape[:2]} to {out.shape[:2]}.')
    if img.ndim == 2:
        return out[..., 0]
    return np.ascontiguousarray(out[..., ::-1])


def _check(corruption: str, severity: int) -> None:
    names = corruption_names('all')
    if corruption not in names:
        raise ValueError(f'`corruption` must be one of {names}, got '
                         f'{corruption!r}.')
    if severity not in SEVERITIES:
        raise ValueError(f'`severity` must be one of {SEVERITIES}, got '
                         f'{severity!r}.')


@TRANSFORMS.register_module()
class ApplyCorruption(BaseTransform):
    """Apply one ImageNet-C corruption at one severity to ``results['img']``.

    Insert it before the packing transform of any test pipeline, e.g.
    ``[..., dict(type='ApplyCorruption', corruption='fog', severity=3),
    dict(type='PackInputs')]``.

    Args:
        corruption (str): One of :func:`corruption_names` ('all').
        severity (int): 1 (mild) to 5 (strong).
        seed (int, optional): With a seed, the noise of each image is
            reproducible: it is seeded with ``seed + results['sample_idx']``
            (set by MMPretrain datasets). None draws from numpy's global
            generator. Defaults to 0.
    """

    def __init__(self, corruption: str, severity: int,
                 seed: Optional[int] = 0):
        _check(corruption, severity)
        self.corruption = corruption
        self.severity = severity
        self.seed = seed

    def transform(self, results: dict) -> dict:
        seed = None if self.seed is None else \
            self.seed + int(results.get('sample_idx', 0))
        results['img'] = corrupt_bgr(results['img'], self.corruption,
                                     self.severity, seed)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(corruption={self.corruption!r}, '
                f'severity={self.severity}, seed={self.seed})')


@TRANSFORMS.register_module()
class RandomCorruption(BaseTransform):
    """Apply a random corruption at a random severity, with probability
    ``prob`` (corruption augmentation for training).

    Args:
        corruptions (Sequence[str], optional): Names to draw from; None
            uses the 15 common ImageNet-C corruptions.
        severities (Sequence[int]): Severities to draw from.
        prob (float): Probability of corrupting an image.
    """

    def __init__(self,
                 corruptions: Optional[Sequence[str]] = None,
                 severities: Sequence[int] = SEVERITIES,
                 prob: float = 1.0):
        corruptions = corruption_names('common') \
            if corruptions is None else list(corruptions)
        for corruption in corruptions:
            for severity in severities:
                _check(corruption, severity)
        if not corruptions or not severities:
            raise ValueError('`corruptions` and `severities` must not be '
                             'empty.')
        if not 0 <= prob <= 1:
            raise ValueError(f'`prob` must lie in [0, 1], got {prob}.')
        self.corruptions = corruptions
        self.severities = list(severities)
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        corruption = self.corruptions[np.random.randint(len(
            self.corruptions))]
        severity = self.severities[np.random.randint(len(self.severities))]
        results['img'] = corrupt_bgr(results['img'], corruption, severity)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(corruptions={self.corruptions}, '
                f'severities={self.severities}, prob={self.prob})')
