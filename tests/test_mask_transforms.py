"""Object masks stay pixel-aligned with the image through every geometric
transform the configs use.

The test images encode their own mask: channel 0 is 255 on object pixels,
channel 1 is 255 on ignore (255) pixels, all else is 0. After a transform
the image is decoded again (channel >= 128) and compared with the
transformed mask; the share of agreeing pixels is the alignment figure.
Interpolation blurs the image's edges, so a perfectly aligned mask agrees
on slightly less than all pixels; a half-pixel shift already costs ~1%.
"""
import cv2
import numpy as np
import pytest

from mmpretrain.registry import TRANSFORMS
from topgap_mm.datasets.transforms.geometric import resize_mask
from topgap_mm.datasets.mask_conventions import decode_object_mask
from topgap_mm.datasets.transforms.loading import LoadObjectMask

#: Minimum share of agreeing pixels for an aligned transform.
ALIGNED = 0.995
REPEATS = 8


def make_mask(height: int = 375, width: int = 500) -> np.ndarray:
    """A CUB-sized mask: an ellipse and a box of object, a box of ignore."""
    mask = np.zeros((height, width), np.uint8)
    cv2.ellipse(mask, (int(width * 0.45), int(height * 0.5)),
                (int(width * 0.25), int(height * 0.3)), 20, 0, 360, 1, -1)
    cv2.rectangle(mask, (int(width * 0.6), int(height * 0.1)),
                  (int(width * 0.85), int(height * 0.35)), 1, -1)
    cv2.rectangle(mask, (int(width * 0.05), int(height * 0.7)),
                  (int(width * 0.2), int(height * 0.9)), 255, -1)
    return mask


def encode(mask: np.ndarray) -> np.ndarray:
    """The (H, W, 3) uint8 image whose pixels encode ``mask``."""
    img = np.zeros((*mask.shape, 3), np.uint8)
    img[..., 0] = np.where(mask == 1, 255, 0)
    img[..., 1] = np.where(mask == 255, 255, 0)
    return img


def decode(img: np.ndarray) -> np.ndarray:
    """Inverse of :func:`encode` on an (H, W, 3) or (3, H, W) image."""
    if img.shape[0] == 3 and img.shape[-1] != 3:
        img = np.moveaxis(img, 0, -1)
    return np.where(img[..., 1] >= 128, 255,
                    (img[..., 0] >= 128).astype(np.uint8)).astype(np.uint8)


def agreement(img: np.ndarray, mask: np.ndarray) -> float:
    """Share of the pixels that neither the image nor the mask ignores
    where the two agree; also checks the shapes."""
    decoded = decode(np.asarray(img))
    mask = np.asarray(mask)
    assert decoded.shape == mask.shape, (decoded.shape, mask.shape)
    valid = (decoded != 255) & (mask != 255)
    return float((decoded[valid] == mask[valid]).mean())


def sample(mask=None) -> dict:
    mask = make_mask() if mask is None else mask
    img = encode(mask)
    return dict(
        img=img,
        gt_seg_map=mask.copy(),
        img_shape=img.shape[:2],
        ori_shape=img.shape[:2])


TRANSFORM_CFGS = [
    dict(type='MaskedResize', scale=256),
    dict(type='MaskedResize', scale=(97, 61)),
    dict(type='MaskedResize', scale=(300, 300), keep_ratio=True),
    dict(type='MaskedRandomCrop', crop_size=224),
    dict(type='MaskedRandomCrop', crop_size=224, padding=12),
    dict(
        type='MaskedRandomCrop',
        crop_size=420,
        pad_if_needed=True,
        padding_mode='reflect'),
    dict(type='MaskedRandomResizedCrop', scale=224),
    dict(
        type='MaskedRandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.7, 1.0)),
    dict(type='MaskedResizeEdge', scale=256, edge='short'),
    dict(type='MaskedResizeEdge', scale=97, edge='long'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='RandomFlip', prob=1.0, direction='horizontal'),
    dict(type='RandomFlip', prob=1.0, direction='vertical'),
    dict(type='Pad', size=(512, 512)),
]


@pytest.mark.parametrize('cfg', TRANSFORM_CFGS, ids=lambda c: str(c))
def test_each_transform_keeps_mask_aligned(cfg):
    transform = TRANSFORMS.build(cfg)
    shares = []
    for seed in range(REPEATS):
        np.random.seed(seed)
        out = transform(sample())
        assert out['gt_seg_map'].dtype == np.uint8
        assert set(np.unique(out['gt_seg_map'])) <= {0, 1, 255}
        shares.append(agreement(out['img'], out['gt_seg_map']))
    assert min(shares) >= ALIGNED, shares


def test_mmcv_resize_shifts_the_mask():
    """Why ``MaskedResize`` exists: mmcv's ``INTER_NEAREST`` samples at
    pixel corners, half a source pixel off the image's bilinear grid."""
    plain = TRANSFORMS.build(dict(type='Resize', scale=(97, 61)))(sample())
    exact = TRANSFORMS.build(dict(type='MaskedResize',
                                  scale=(97, 61)))(sample())
    assert np.array_equal(plain['img'], exact['img'])
    assert agreement(plain['img'], plain['gt_seg_map']) < 0.99
    assert agreement(exact['img'], exact['gt_seg_map']) >= ALIGNED


@pytest.mark.parametrize('name,kwargs', [
    ('RandomCrop', dict(crop_size=224)),
    ('RandomResizedCrop', dict(scale=224)),
    ('ResizeEdge', dict(scale=256)),
])
def test_mmpretrain_originals_leave_the_mask_behind(name, kwargs):
    out = TRANSFORMS.build(dict(type=name, **kwargs))(sample())
    assert out['gt_seg_map'].shape == (375, 500)
    assert out['img'].shape[:2] != (375, 500)


@pytest.mark.parametrize('name,kwargs', [
    ('RandomCrop', dict(crop_size=224, padding=8)),
    ('RandomResizedCrop', dict(scale=224)),
    ('ResizeEdge', dict(scale=256)),
    ('Resize', dict(scale=256)),
])
def test_without_mask_same_as_original(name, kwargs):
    img = np.random.default_rng(0).integers(0, 255, (120, 160, 3), np.uint8)
    outs = []
    for prefix in ('', 'Masked'):
        np.random.seed(3)
        outs.append(
            TRANSFORMS.build(dict(type=prefix + name, **kwargs))(dict(
                img=img.copy(), img_shape=img.shape[:2])))
    assert np.array_equal(outs[0]['img'], outs[1]['img'])
    assert 'gt_seg_map' not in outs[1]


def test_resize_mask_keeps_values():
    mask = make_mask()
    out = resize_mask(mask, (50, 40))
    assert out.shape == (40, 50) and set(np.unique(out)) <= {0, 1, 255}


# ------------------------------------------------------------ mask loading


def test_decode_conventions():
    cub = np.array([[0, 51, 102], [127, 128, 153], [204, 255, 255]],
                   np.uint8)
    assert decode_object_mask(cub, 'cub').tolist() == [[0, 0, 0], [0, 1, 1],
                                                       [1, 1, 1]]
    assert decode_object_mask(cub, 'cub', threshold=200).sum() == 3
    trimap = np.array([[1, 2, 3]], np.uint8)
    assert decode_object_mask(trimap, 'pet_trimap').tolist() == [[1, 0, 255]]
    rgb = np.stack([cub] * 3, -1)
    assert np.array_equal(
        decode_object_mask(rgb, 'cub'), decode_object_mask(cub, 'cub'))
    with pytest.raises(ValueError, match='may only hold'):
        decode_object_mask(np.array([[0, 255]], np.uint8), 'pet_trimap')
    with pytest.raises(ValueError, match='may only hold'):
        decode_object_mask(np.array([[0, 7]], np.uint8), 'binary')
    with pytest.raises(ValueError, match='Unknown mask convention'):
        decode_object_mask(cub, 'voc')


def test_load_object_mask(tmp_path):
    path = str(tmp_path / 'm.png')
    cv2.imwrite(path, np.array([[1, 2], [3, 1]], np.uint8))
    img = np.zeros((2, 2, 3), np.uint8)
    out = LoadObjectMask()(
        dict(img=img, mask_path=path, mask_convention='pet_trimap'))
    assert out['gt_seg_map'].tolist() == [[1, 0], [255, 1]]
    # No mask_path: a dataset without masks; the sample passes unchanged.
    assert 'gt_seg_map' not in LoadObjectMask()(dict(img=img))
    with pytest.raises(ValueError, match='load the mask before'):
        LoadObjectMask()(
            dict(
                img=np.zeros((3, 2, 3), np.uint8),
                mask_path=path,
                mask_convention='pet_trimap'))
    with pytest.raises(FileNotFoundError, match='annotations.tar.gz'):
        LoadObjectMask()(
            dict(
                img=img,
                img_path='x.jpg',
                mask_path=str(tmp_path / 'missing.png'),
                mask_convention='pet_trimap'))


def write_exif_jpeg(path: str, stored: np.ndarray, orientation: int) -> None:
    """A JPEG of the (H, W, 3) BGR pixels ``stored`` (as OpenCV and mmcv
    hold them) tagged with an EXIF orientation, as cameras write rotated
    photos."""
    from PIL import Image
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(np.ascontiguousarray(stored[..., ::-1])).save(
        path, quality=100, subsampling=0, exif=exif.tobytes())


@pytest.mark.parametrize('shape', [(96, 96), (80, 120)])
@pytest.mark.parametrize('orientation', range(1, 9))
def test_exif_rotated_image_keeps_its_mask(tmp_path, orientation, shape):
    from PIL import Image, ImageOps
    mask = make_mask(*shape)
    img_path, mask_path = str(tmp_path / 'a.jpg'), str(tmp_path / 'a.png')
    # The mask is annotated on the stored pixels, as CUB's, Pets' and
    # COCO's are.
    write_exif_jpeg(img_path, encode(mask), orientation)
    cv2.imwrite(mask_path, mask)
    pipeline = [
        TRANSFORMS.build(dict(type='LoadImageFromFile')),
        LoadObjectMask(convention='binary')
    ]
    out = dict(img_path=img_path, mask_path=mask_path)
    for t in pipeline:
        out = t(out)
    assert agreement(out['img'], out['gt_seg_map']) > ALIGNED
    # PIL's own upright view of the file is the reference orientation.
    upright = np.asarray(ImageOps.exif_transpose(Image.open(img_path)))
    upright = upright[..., ::-1]
    assert agreement(upright, out['gt_seg_map']) > ALIGNED
    if orientation != 1 and shape[0] == shape[1]:
        # The stored mask, not rotated, would be misaligned without error.
        assert agreement(out['img'], mask) < 0.9


def test_exif_mismatch_errors_say_why(tmp_path):
    mask = make_mask(80, 120)
    img_path, mask_path = str(tmp_path / 'a.jpg'), str(tmp_path / 'a.png')
    write_exif_jpeg(img_path, encode(mask), 6)
    cv2.imwrite(mask_path, mask)
    loaded = TRANSFORMS.build(dict(type='LoadImageFromFile'))(
        dict(img_path=img_path, mask_path=mask_path))
    with pytest.raises(ValueError, match=r'EXIF orientation 6.*'
                       r'follow_image_exif=True'):
        LoadObjectMask(convention='binary', follow_image_exif=False)(
            dict(loaded))
    # An image loader that ignores orientation, with the default mask
    # loader: the error names the switch that fixes it.
    ignoring = TRANSFORMS.build(
        dict(type='LoadImageFromFile',
             color_type='color_ignore_orientation'))(
                 dict(img_path=img_path, mask_path=mask_path))
    with pytest.raises(ValueError, match='follow_image_exif=False'):
        LoadObjectMask(convention='binary')(dict(ignoring))
    out = LoadObjectMask(convention='binary', follow_image_exif=False)(
        dict(ignoring))
    assert agreement(out['img'], out['gt_seg_map']) > ALIGNED
