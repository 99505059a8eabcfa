"""Fashion-MNIST objects on real photos: a Waterbirds-style benchmark.

Waterbirds pastes CUB birds onto Places backgrounds so that the background
predicts the class in training but not at test time. This module applies the
same recipe to data that ship with the package and load offline: real
Fashion-MNIST images (a subset in ``assets/``, see its README) pasted onto
real photos and textures of scikit-image. Since the Fashion-MNIST background
is exactly 0, every image comes with an exact object mask.

The generator is plain numpy and deterministic: the same split, seed and
arguments give byte-identical images.
"""
import colorsys
import functools
import numbers
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import MMLogger
from scipy import ndimage

from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS
from .transforms.geometric import tight_box

ASSET_FILE = osp.join(
    osp.dirname(osp.abspath(__file__)), 'assets', 'fashion_mnist_subset.npz')

#: Class names; class ``i`` is Fashion-MNIST label ``FASHION_LABELS[i]``.
CLASSES = ('T-shirt/top', 'Trouser', 'Sneaker', 'Bag')
FASHION_LABELS = (0, 1, 7, 8)
#: ``skimage.data`` images used as backgrounds (all load offline); class
#: ``i``'s own background is ``BACKGROUNDS[i]``.
BACKGROUNDS = ('grass', 'brick', 'coffee', 'immunohistochemistry')

SPLITS = ('train', 'val', 'test_id', 'test_ood')
DEFAULT_NUM_SAMPLES = dict(train=2000, val=400, test_id=600, test_ood=600)
#: Share of each class's source images that each split draws from. The
#: blocks are fixed, not seeded, so that no seed lets a test image reuse a
#: training object.
SOURCE_FRACTIONS = dict(train=0.5, val=0.1, test_id=0.2, test_ood=0.2)

MIN_IMG_SIZE = 16
#: Backgrounds are resized once to a short side of this many output sides
#: and crops span 1 to this many output sides, so a crop shows a part of the
#: photo (not always the whole) and is never upsampled.
BACKGROUND_ZOOM = 2
#: Fashion-MNIST has faint specks (values 1 to ~25) apart from the garment.
#: Connected components whose brightest pixel is below this are dropped, so
#: the mask holds the garment only; the real parts of a garment that are
#: detached (a bag's handle) are far brighter and stay.
STRAY_COMPONENT_MAX = 32
#: A pasted pixel's brightness is its Fashion-MNIST intensity mapped from
#: (0, 255] to (OBJECT_MIN_VALUE, 1], so that even the faint edge pixels in
#: the mask stand out from a dark background.
OBJECT_MIN_VALUE = 0.3
#: Objects are tinted with a random hue at this saturation, independent of
#: class and background, so that they contrast with the grey textures too.
OBJECT_SATURATION = 0.5


def _check_args(owner: str, split: str, img_size: int,
                num_samples: Optional[int], correlation: float,
                object_scale: Sequence[float]) -> None:
    """Check the generation arguments.

    Every dataloader of a config builds this dataset, so each message
    starts with ``owner`` and the split (``FashionBackgroundsDataset(split=
    'val'): ...``): that names the dataloader whose settings are wrong.
    """
    where = f'{owner}(split={split!r})'
    if split not in SPLITS:
        raise ValueError(f'{where}: `split` must be one of {SPLITS}, got '
                         f'{split!r}.')
    if (not isinstance(img_size, numbers.Integral)
            or isinstance(img_size, bool) or img_size < MIN_IMG_SIZE):
        raise ValueError(f'{where}: `img_size` must be an int >= '
                         f'{MIN_IMG_SIZE}, got {img_size!r}.')
    if num_samples is not None and (not isinstance(
            num_samples, numbers.Integral) or isinstance(num_samples, bool)
                                    or num_samples < 1):
        raise ValueError(f'{where}: `num_samples` must be None or an int '
                         f'>= 1, got {num_samples!r}.')
    if (not isinstance(correlation, numbers.Real)
            or not 0 <= correlation <= 1):
        raise ValueError(f'{where}: `correlation` must be a number in '
                         f'[0, 1], got {correlation!r}.')
    if (isinstance(object_scale, (str, bytes))
            or not isinstance(object_scale, Sequence)
            or len(object_scale) != 2
            or not all(isinstance(s, numbers.Real) for s in object_scale)
            or not 0 < object_scale[0] <= object_scale[1] <= 1):
        raise ValueError(f'{where}: `object_scale` must be (low, high) '
                         f'with 0 < low <= high <= 1, got {object_scale!r}.')


def _drop_stray_components(image: np.ndarray) -> np.ndarray:
    """Zero the faint specks of a Fashion-MNIST image (see
    :data:`STRAY_COMPONENT_MAX`)."""
    components, num = ndimage.label(image > 0, structure=np.ones((3, 3)))
    peaks = ndimage.maximum(image, components, np.arange(1, num + 1))
    keep = np.concatenate([[False], np.asarray(peaks) >= STRAY_COMPONENT_MAX])
    return np.where(keep[components], image, 0).astype(np.uint8)


@functools.lru_cache(maxsize=1)
def load_fashion_subset() -> Tuple[np.ndarray, np.ndarray]:
    """Load the shipped Fashion-MNIST subset, specks removed.

    Returns:
        tuple: ``images`` (N, 28, 28) uint8 with background exactly 0, and
        ``labels`` (N,) int64 class indices into :data:`CLASSES`. Both are
        read-only (they are cached).
    """
    with np.load(ASSET_FILE) as data:
        images, fashion_labels = data['images'], data['labels']
    if set(np.unique(fashion_labels)) != set(FASHION_LABELS):
        raise ValueError(f'{ASSET_FILE} holds Fashion-MNIST labels '
                         f'{np.unique(fashion_labels)}, expected '
                         f'{FASHION_LABELS}; remake it with '
                         'tools/dataset_converters/make_fashion_subset.py.')
    lookup = np.zeros(max(FASHION_LABELS) + 1, dtype=np.int64)
    lookup[list(FASHION_LABELS)] = np.arange(len(FASHION_LABELS))
    labels = lookup[fashion_labels]
    images = np.stack([_drop_stray_components(image) for image in images])
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


@functools.lru_cache(maxsize=4)
def load_backgrounds(img_size: int) -> Tuple[np.ndarray, ...]:
    """Load the background photos, prepared for one output size.

    Each photo of :data:`BACKGROUNDS` is converted to RGB and resized (with
    anti-aliasing) to a short side of ``BACKGROUND_ZOOM * img_size``.

    Args:
        img_size (int): Side of the output images.

    Returns:
        tuple[np.ndarray]: One read-only float32 (H, W, 3) RGB array in
        [0, 255] per background.
    """
    try:
        import skimage.data
        from skimage.transform import resize
    except ImportError as e:
        raise ImportError(
            'FashionBackgroundsDataset takes its backgrounds from '
            'scikit-image; install it with `pip install scikit-image`.') from e
    photos = []
    for name in BACKGROUNDS:
        photo = getattr(skimage.data, name)()
        if photo.ndim == 2:
            photo = np.stack([photo] * 3, axis=-1)
        scale = BACKGROUND_ZOOM * img_size / min(photo.shape[:2])
        shape = tuple(
            max(BACKGROUND_ZOOM * img_size, round(s * scale))
            for s in photo.shape[:2])
        photo = resize(
            photo[..., :3].astype(np.float32),
            shape,
            order=1,
            anti_aliasing=scale < 1,
            preserve_range=True).astype(np.float32)
        photo.flags.writeable = False
        photos.append(photo)
    return tuple(photos)


def source_indices(split: str) -> np.ndarray:
    """Indices of the subset images that a split may use.

    Every class's images are cut into contiguous blocks in proportion to
    :data:`SOURCE_FRACTIONS`, one block per split, so splits never share an
    object image.

    Args:
        split (str): One of :data:`SPLITS`.

    Returns:
        np.ndarray: Sorted indices into :func:`load_fashion_subset`.
    """
    if split not in SPLITS:
        raise ValueError(f'`split` must be one of {SPLITS}, got {split!r}.')
    _, labels = load_fashion_subset()
    bounds = np.cumsum([0.] + [SOURCE_FRACTIONS[s] for s in SPLITS])
    start, stop = bounds[SPLITS.index(split)], bounds[SPLITS.index(split) + 1]
    blocks = []
    for label in range(len(CLASSES)):
        members = np.flatnonzero(labels == label)
        lo, hi = np.rint(np.array([start, stop]) * len(members)).astype(int)
        blocks.append(members[lo:hi])
    return np.sort(np.concatenate(blocks))


def _resize_bilinear(image: np.ndarray, height: int,
                     width: int) -> np.ndarray:
    """Bilinear resize with pixel centres aligned as in OpenCV's
    ``INTER_LINEAR``; (H, W) or (H, W, C) in, float32 out."""
    in_h, in_w = image.shape[:2]
    extra = (1, ) * (image.ndim - 2)

    def taps(out_len, in_len):
        pos = np.clip((np.arange(out_len) + 0.5) * in_len / out_len - 0.5, 0,
                      in_len - 1)
        low = np.floor(pos).astype(np.int64)
        return low, np.minimum(low + 1, in_len - 1), pos - low

    y0, y1, wy = taps(height, in_h)
    x0, x1, wx = taps(width, in_w)
    wy = wy.reshape(-1, 1, *extra).astype(np.float32)
    wx = wx.reshape(1, -1, *extra).astype(np.float32)
    image = image.astype(np.float32, copy=False)
    top = image[y0][:, x0] * (1 - wx) + image[y0][:, x1] * wx
    bottom = image[y1][:, x0] * (1 - wx) + image[y1][:, x1] * wx
    return top * (1 - wy) + bottom * wy


def resize_object(image: np.ndarray, side: int) -> np.ndarray:
    """Resize a Fashion-MNIST image to ``side`` x ``side`` (bilinear).

    Args:
        image (np.ndarray): (28, 28) uint8 image, background 0.
        side (int): Output side.

    Returns:
        np.ndarray: (side, side) uint8; its object mask is exactly
        ``resized > 0`` (a pixel is 0 only if all its taps are 0 or it
        rounds to 0).
    """
    resized = _resize_bilinear(image, side, side)
    return np.clip(np.rint(resized), 0, 255).astype(np.uint8)


def object_tint(hue: float) -> np.ndarray:
    """RGB multiplier in [0, 1] of an object of the given hue.

    Args:
        hue (float): Hue in [0, 1).

    Returns:
        np.ndarray: (3,) float32.
    """
    pure = np.array(colorsys.hsv_to_rgb(hue, 1., 1.), dtype=np.float32)
    return (1 - OBJECT_SATURATION) + OBJECT_SATURATION * pure


def render_sample(
    image: np.ndarray, photo: np.ndarray, img_size: int,
    crop: Tuple[int, int, int], flip: bool, obj_box: Tuple[int, int, int],
    hue: float
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paste one Fashion-MNIST object onto a crop of a photo.

    Args:
        image (np.ndarray): (28, 28) uint8 object image, background 0.
        photo (np.ndarray): (H, W, 3) RGB background photo, as given by
            :func:`load_backgrounds`.
        img_size (int): Side of the output image.
        crop (tuple[int, int, int]): ``(top, left, side)`` of the square of
            ``photo`` that becomes the background.
        flip (bool): Whether to mirror the background horizontally.
        obj_box (tuple[int, int, int]): ``(top, left, side)`` of the
            object's square in the output; it must lie inside the image.
        hue (float): Hue in [0, 1) of the object's tint (see
            :func:`object_tint`).

    Returns:
        tuple: ``img`` (img_size, img_size, 3) uint8 RGB, ``mask``
        (img_size, img_size) uint8 with 1 exactly where object pixels were
        pasted, and ``background`` (img_size, img_size, 3) uint8 RGB, the
        image before pasting.
    """
    top, left, side = crop
    if top < 0 or left < 0 or top + side > photo.shape[0] \
            or left + side > photo.shape[1]:
        raise ValueError(f'`crop` {crop} does not fit the photo of shape '
                         f'{photo.shape}.')
    obj_top, obj_left, obj_side = obj_box
    if obj_side < 1 or obj_top < 0 or obj_left < 0 \
            or max(obj_top, obj_left) + obj_side > img_size:
        raise ValueError(f'`obj_box` {obj_box} does not lie inside the '
                         f'{img_size}x{img_size} image.')

    background = _resize_bilinear(photo[top:top + side, left:left + side],
                                  img_size, img_size)
    if flip:
        background = background[:, ::-1]
    background = np.clip(np.rint(background), 0, 255).astype(np.uint8)

    resized = resize_object(image, obj_side)
    obj_mask = resized > 0
    value = OBJECT_MIN_VALUE + (1 - OBJECT_MIN_VALUE) * (
        resized[obj_mask].astype(np.float32) / 255)
    colours = np.rint(255 * value[:, None] * object_tint(hue))

    img = background.copy()
    rows = slice(obj_top, obj_top + obj_side)
    cols = slice(obj_left, obj_left + obj_side)
    img[rows, cols][obj_mask] = colours.astype(np.uint8)
    mask = np.zeros((img_size, img_size), dtype=np.uint8)
    mask[rows, cols] = obj_mask
    return img, mask, background


def _plan_backgrounds(label: int, num: int, split: str, correlation: float,
                      rng: np.random.Generator) -> np.ndarray:
    """Backgrounds of the ``num`` samples of one class.

    The class's own background takes ``round(correlation * num)`` samples
    (all backgrounds equally often for ``test_ood``) and the rest cycle
    through the other backgrounds, so group sizes are fixed rather than
    drawn, as in Waterbirds; the order is shuffled later.
    """
    num_bg = len(BACKGROUNDS)
    if split == 'test_ood':
        return np.resize(rng.permutation(num_bg), num)
    num_aligned = int(np.floor(correlation * num + 0.5))
    others = rng.permutation([b for b in range(num_bg) if b != label])
    return np.concatenate([
        np.full(num_aligned, label),
        np.resize(others, num - num_aligned)
    ]).astype(np.int64)


def generate_split(split: str,
                   img_size: int = 64,
                   num_samples: Optional[int] = None,
                   correlation: float = 0.9,
                   object_scale: Sequence[float] = (0.35, 0.7),
                   seed: int = 0) -> Dict[str, np.ndarray]:
    """Generate all samples of one split.

    Classes are balanced (counts differ by at most one). In ``train``,
    ``val`` and ``test_id`` a share ``correlation`` of each class lies on
    its own background and the rest on the other backgrounds evenly; in
    ``test_ood`` every class lies on every background equally often, so
    background and class are independent. Each split draws its objects from
    its own block of source images (:func:`source_indices`) and its own
    random stream.

    Args:
        split (str): One of ``'train'``, ``'val'``, ``'test_id'``,
            ``'test_ood'``.
        img_size (int): Side of the square images. Defaults to 64.
        num_samples (int, optional): Number of samples; None takes
            :data:`DEFAULT_NUM_SAMPLES`. Defaults to None.
        correlation (float): Share of the samples of a class on its own
            background, in [0, 1]; ignored by ``test_ood``. Defaults to 0.9.
        object_scale (Sequence[float]): ``(low, high)``: the object's side
            is drawn uniformly from ``[low, high] * img_size``. Defaults to
            (0.35, 0.7).
        seed (int): Seed of the random stream. Defaults to 0.

    Returns:
        dict[str, np.ndarray]: With N the number of samples:

        - ``imgs``: (N, img_size, img_size, 3) uint8, RGB.
        - ``masks``: (N, img_size, img_size) uint8, 1 object, 0 background.
        - ``labels``: (N,) int64 class indices into :data:`CLASSES`.
        - ``backgrounds``: (N,) int64 indices into :data:`BACKGROUNDS`.
        - ``aligned``: (N,) bool, whether the background is the class's own.
        - ``sources``: (N,) int64 indices into :func:`load_fashion_subset`.
        - ``crops``, ``obj_boxes``: (N, 3) int64 ``(top, left, side)``,
          ``flips``: (N,) bool and ``hues``: (N,) float64, the arguments
          :func:`render_sample` was called with.
    """
    _check_args('generate_split', split, img_size, num_samples, correlation,
                object_scale)
    num = DEFAULT_NUM_SAMPLES[split] if num_samples is None else num_samples
    images, subset_labels = load_fashion_subset()
    photos = load_backgrounds(img_size)
    pool = source_indices(split)
    rng = np.random.default_rng([seed, SPLITS.index(split)])

    labels = np.arange(num, dtype=np.int64) % len(CLASSES)
    backgrounds = np.empty(num, dtype=np.int64)
    sources = np.empty(num, dtype=np.int64)
    for label in range(len(CLASSES)):
        members = np.flatnonzero(labels == label)
        backgrounds[members] = _plan_backgrounds(label, len(members), split,
                                                 correlation, rng)
        # Each source image is used equally often within the split.
        class_pool = pool[subset_labels[pool] == label]
        sources[members] = np.resize(
            rng.permutation(class_pool), len(members))
    order = rng.permutation(num)
    labels, backgrounds, sources = (labels[order], backgrounds[order],
                                    sources[order])

    photo_shapes = np.array([photo.shape[:2] for photo in photos])[backgrounds]
    crop_sides = rng.integers(
        img_size, BACKGROUND_ZOOM * img_size, size=num, endpoint=True)
    crops = np.stack([
        rng.integers(0, photo_shapes[:, 0] - crop_sides, endpoint=True),
        rng.integers(0, photo_shapes[:, 1] - crop_sides, endpoint=True),
        crop_sides
    ], axis=1)
    flips = rng.random(num) < 0.5
    obj_sides = np.maximum(
        1, np.rint(rng.uniform(*object_scale, size=num) * img_size)).astype(
            np.int64)
    obj_boxes = np.stack([
        rng.integers(0, img_size - obj_sides, endpoint=True),
        rng.integers(0, img_size - obj_sides, endpoint=True), obj_sides
    ], axis=1)
    hues = rng.random(num)

    imgs = np.empty((num, img_size, img_size, 3), dtype=np.uint8)
    masks = np.empty((num, img_size, img_size), dtype=np.uint8)
    for i in range(num):
        imgs[i], masks[i], _ = render_sample(
            images[sources[i]], photos[backgrounds[i]], img_size,
            tuple(crops[i]), bool(flips[i]), tuple(obj_boxes[i]), hues[i])
    return dict(
        imgs=imgs,
        masks=masks,
        labels=labels,
        backgrounds=backgrounds,
        aligned=backgrounds == labels,
        sources=sources,
        crops=crops,
        obj_boxes=obj_boxes,
        flips=flips,
        hues=hues)


@DATASETS.register_module()
class FashionBackgroundsDataset(BaseDataset):
    """Fashion-MNIST objects on real photos, with exact object masks.

    A Waterbirds-style benchmark generated in memory from data that ship
    with the package (no download): objects of 4 Fashion-MNIST classes
    (:data:`CLASSES`) pasted onto crops of 4 scikit-image photos
    (:data:`BACKGROUNDS`). Class ``i``'s own background is background
    ``i``; it is the background of a share ``correlation`` of the class in
    ``train``, ``val`` and ``test_id``, while in ``test_ood`` background and
    class are independent (every class on every background equally often).
    See :func:`generate_split` for the recipe.

    Each data info holds:

    - ``img``: (img_size, img_size, 3) uint8 in **BGR** order, as
      ``LoadImageFromFile`` gives, so configs keep ``to_rgb=True`` in the
      data preprocessor. No loading transform is needed: a pipeline may be
      just ``[dict(type='PackMaskedInputs')]``.
    - ``gt_label`` (int), ``img_shape`` and ``ori_shape``.
    - ``gt_seg_map``: (img_size, img_size) uint8 object mask, 1 object and 0
      background; mmcv's geometric transforms move it with the image and
      ``PackMaskedInputs`` packs it as ``data_sample.gt_object_mask``.
    - ``gt_bboxes``: (1, 4) float32 tight box of the mask, ``(x0, y0, x1,
      y1)`` with ``x0`` the first and ``x1 - 1`` the last object column
      (likewise rows); mmcv's geometric transforms move it with the image
      and ``PackMaskedInputs`` packs it as ``data_sample.gt_object_boxes``.
    - ``background`` (int, the group attribute) and ``aligned`` (bool,
      whether ``background == gt_label``); add them to the ``meta_keys`` of
      the packing transform to have them in the data samples.
    - ``group_label`` (int): class x background,
      ``gt_label * len(BACKGROUNDS) + background``, named in the meta's
      ``groups`` ('Bag on grass', ...); ``PackMaskedInputs`` carries it to
      the data samples for ``GroupAccuracy`` (worst group on ``test_ood``,
      where every group is equally large).

    Args:
        split (str): ``'train'``, ``'val'``, ``'test_id'`` or
            ``'test_ood'``. Defaults to ``'train'``.
        img_size (int): Side of the square images, at least 16. Defaults
            to 64.
        num_samples (int, optional): Number of samples; None gives 2000 for
            train, 400 for val and 600 for each test split. Defaults to None.
        correlation (float): Share of each class on its own background in
            train, val and test_id, in [0, 1]. Defaults to 0.9.
        object_scale (Sequence[float]): ``(low, high)`` range of the
            object's side as a fraction of ``img_size``, in (0, 1].
            Defaults to (0.35, 0.7).
        seed (int): Random seed of the generation. Defaults to 0.
        pipeline (Sequence): Processing pipeline. Defaults to ().
        test_mode (bool): Whether the dataset is used for testing (a failed
            sample raises instead of being replaced). Defaults to False.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`
            (``indices``, ``serialize_data``, ``lazy_init``, ...).

    Examples:
        >>> import topgap_mm  # noqa: registers the dataset and transform
        >>> dataset = FashionBackgroundsDataset(
        ...     split='test_ood', pipeline=[dict(type='PackMaskedInputs')])
        >>> sample = dataset[0]
        >>> sample['inputs'].shape, sample['data_samples'].gt_object_mask.shape
        (torch.Size([3, 64, 64]), torch.Size([64, 64]))
    """

    METAINFO = {
        'classes': CLASSES,
        'backgrounds': BACKGROUNDS,
        'groups': tuple(f'{c} on {b}' for c in CLASSES for b in BACKGROUNDS)
    }

    def __init__(self,
                 split: str = 'train',
                 img_size: int = 64,
                 num_samples: Optional[int] = None,
                 correlation: float = 0.9,
                 object_scale: Sequence[float] = (0.35, 0.7),
                 seed: int = 0,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 **kwargs):
        _check_args(type(self).__name__, split, img_size, num_samples,
                    correlation, object_scale)
        if split == 'train' and test_mode:
            MMLogger.get_current_instance().warning(
                'split="train" but test_mode=True. The training set will be '
                'used.')
        self.split = split
        self.img_size = img_size
        self.num_samples = num_samples
        self.correlation = correlation
        self.object_scale = tuple(object_scale)
        self.seed = seed
        super().__init__(
            ann_file='', pipeline=pipeline, test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Generate the split in memory.

        Returns:
            list[dict]: One data info per image (see the class docstring).
        """
        data = generate_split(self.split, self.img_size, self.num_samples,
                              self.correlation, self.object_scale, self.seed)
        shape = (self.img_size, self.img_size)
        return [
            dict(
                img=np.ascontiguousarray(img[..., ::-1]),
                gt_label=int(label),
                gt_seg_map=mask,
                gt_bboxes=tight_box(mask),
                img_shape=shape,
                ori_shape=shape,
                background=int(background),
                aligned=bool(aligned),
                group_label=int(label) * len(BACKGROUNDS) + int(background))
            for img, mask, label, background, aligned in zip(
                data['imgs'], data['masks'], data['labels'],
                data['backgrounds'], data['aligned'])
        ]

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        return [
            f'Split: \t{self.split}',
            f'Image size: \t{self.img_size}',
            f'Correlation: \t{self.correlation}',
            f'Object scale: \t{self.object_scale}',
            f'Seed: \t{self.seed}',
        ]
