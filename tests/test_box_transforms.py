"""Ground-truth object boxes move with the image, as the masks do.

Boxes are ``(x0, y0, x1, y1)`` pixel edges, ``x1 = x0 + width``. The test
objects are drawn into a mask whose tight box is the annotation box, so
after any transform the box must still be the tight box of the transformed
mask (within a pixel: resizing moves an edge by up to half an output
pixel). EXIF orientations are checked against PIL's ``exif_transpose``.
"""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

from mmpretrain.registry import TRANSFORMS
from test_mask_transforms import (TRANSFORM_CFGS, decode, encode, make_mask,
                                  write_exif_jpeg)
from test_public_datasets import write_cub, write_img
from topgap_mm.datasets import (COCOSingleObject, CUBWithMasks,
                                FashionBackgroundsDataset)
from topgap_mm.datasets.cub_masks import read_cub_boxes
from topgap_mm.datasets.image_orientation import orient_like_image
from topgap_mm.datasets.object_boxes import boxes_from_xywh
from topgap_mm.datasets.transforms import (LoadObjectBoxes,
                                           PackMaskedInputs)
from topgap_mm.datasets.transforms.geometric import move_boxes, tight_box

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
REPEATS = 8


def box_sample(height=375, width=500, rect=(150, 110, 330, 260)):
    """An image with a rectangular object (x0, y0, x1, y1) in mask and
    image, and the object's tight box in ``gt_bboxes``."""
    mask = np.zeros((height, width), np.uint8)
    x0, y0, x1, y1 = rect
    mask[y0:y1, x0:x1] = 1
    img = encode(mask)
    return dict(
        img=img,
        gt_seg_map=mask,
        gt_bboxes=np.array([rect], np.float32),
        img_shape=img.shape[:2],
        ori_shape=img.shape[:2])


def assert_box_fits_mask(boxes, mask, atol=1.0):
    """The single box is the mask's tight box; an emptied mask leaves a
    box of zero area (clipped to the border, never dropped)."""
    boxes = np.asarray(boxes)
    assert boxes.shape == (1, 4)
    height, width = np.asarray(mask).shape[:2]
    assert (boxes[:, 0::2] >= 0).all() and (boxes[:, 0::2] <= width).all()
    assert (boxes[:, 1::2] >= 0).all() and (boxes[:, 1::2] <= height).all()
    expected = tight_box(mask)
    if len(expected) == 0:
        x0, y0, x1, y1 = boxes[0]
        assert (x1 - x0) * (y1 - y0) == 0, boxes
        return
    np.testing.assert_allclose(boxes, expected, atol=atol)


# ------------------------------------------------------------ conventions


def test_tight_box_and_xywh_convention():
    mask = np.zeros((8, 10), np.uint8)
    mask[2:4, 3:6] = 1  # columns 3, 4, 5 and rows 2, 3
    mask[0, 0] = 255  # ignore pixels are not object
    assert tight_box(mask).tolist() == [[3, 2, 6, 4]]
    assert tight_box(np.zeros((4, 4), np.uint8)).shape == (0, 4)
    # wsolevaluation's CUB metadata: `60.0 27.0 325.0 304.0` is 60,27,385,331.
    boxes = boxes_from_xywh([[60.0, 27.0, 325.0, 304.0]], 'here')
    assert boxes.dtype == np.float32
    assert boxes.tolist() == [[60, 27, 385, 331]]
    with pytest.raises(ValueError, match=r'here.*width, height >= 0'):
        boxes_from_xywh([[1, 2, -3, 4]], 'here')
    with pytest.raises(ValueError, match='here: expected boxes'):
        boxes_from_xywh([[1, 2, 3]], 'here')


def test_move_boxes_known_answers():
    boxes = np.array([[10, 20, 30, 60]], np.float32)
    # Crop at (5, 10), then halve.
    out = move_boxes(boxes, offset=(5, 10), scale=(0.5, 0.5), size=(50, 50))
    assert out.dtype == np.float32 and out.tolist() == [[2.5, 5, 12.5, 25]]
    # Padding is a negative offset; clipping keeps a box cut to nothing.
    assert move_boxes(boxes, offset=(-2, -2)).tolist() == [[12, 22, 32, 62]]
    assert move_boxes(boxes, offset=(40, 0), size=(8, 100)).tolist() == [[
        0, 20, 0, 60
    ]]


# ------------------------------------------------------------- transforms

BOX_TRANSFORM_CFGS = TRANSFORM_CFGS + [
    dict(type='Resize', scale=(97, 61)),
    dict(type='RandomFlip', prob=1.0, direction='diagonal'),
    dict(type='CenterCrop', crop_size=(700, 100)),
]


@pytest.mark.parametrize('cfg', BOX_TRANSFORM_CFGS, ids=lambda c: str(c))
def test_each_transform_moves_boxes_with_the_mask(cfg):
    transform = TRANSFORMS.build(cfg)
    for seed in range(REPEATS):
        np.random.seed(seed)
        out = transform(box_sample())
        assert_box_fits_mask(out['gt_bboxes'], out['gt_seg_map'])


@pytest.mark.parametrize('cfg', [
    c for c in BOX_TRANSFORM_CFGS if c['type'].startswith('Masked')
], ids=lambda c: str(c))
def test_masked_transforms_move_boxes_without_a_mask(cfg):
    for seed in range(3):
        np.random.seed(seed)
        with_mask = TRANSFORMS.build(cfg)(box_sample())
        np.random.seed(seed)
        sample = box_sample()
        del sample['gt_seg_map']
        alone = TRANSFORMS.build(cfg)(sample)
        assert 'gt_seg_map' not in alone
        # float32 from ours; MaskedResize scales them with mmcv's Resize,
        # which computes in float64 (PackMaskedInputs packs float32).
        assert alone['gt_bboxes'].dtype == (
            np.float64 if cfg['type'] == 'MaskedResize' else np.float32)
        np.testing.assert_array_equal(alone['gt_bboxes'],
                                      with_mask['gt_bboxes'])
        np.testing.assert_array_equal(alone['img'], with_mask['img'])


@pytest.mark.parametrize('name', [
    'MaskedRandomCrop', 'MaskedRandomResizedCrop', 'MaskedResizeEdge',
    'MaskedResize'
])
def test_without_boxes_none_appear(name):
    kwargs = dict(crop_size=64) if name == 'MaskedRandomCrop' else dict(
        scale=64)
    out = TRANSFORMS.build(dict(type=name, **kwargs))(box_sample())
    sample = box_sample()
    del sample['gt_bboxes']
    assert 'gt_bboxes' in out
    assert 'gt_bboxes' not in TRANSFORMS.build(dict(type=name,
                                                    **kwargs))(sample)


def test_random_crop_padding_and_clipping_known_answer():
    transform = TRANSFORMS.build(
        dict(type='MaskedRandomCrop', crop_size=4, padding=(2, 1, 0, 0)))
    # The crop of the padded image starts at row 0, column 0.
    transform.rand_crop_params = lambda img: (0, 0, 4, 4)
    sample = dict(
        img=np.zeros((10, 10, 3), np.uint8),
        gt_bboxes=np.array([[1, 1, 3, 3], [3, 5, 6, 6]], np.float32))
    out = transform(sample)
    # Shifted by the padding (2 left, 1 top), clipped to the 4x4 crop; the
    # second box lies outside and stays, with zero area.
    assert out['gt_bboxes'].tolist() == [[3, 2, 4, 4], [4, 4, 4, 4]]


def test_random_resized_crop_known_answer():
    transform = TRANSFORMS.build(
        dict(type='MaskedRandomResizedCrop', scale=(20, 40)))
    transform.rand_crop_params = lambda img: (10, 20, 40, 40)
    out = transform(
        dict(
            img=np.zeros((100, 100, 3), np.uint8),
            gt_bboxes=np.array([[30, 20, 50, 70]], np.float32)))
    # scale is (height, width): x by 40 / 40, y by 20 / 40.
    assert out['img'].shape[:2] == (20, 40)
    assert out['gt_bboxes'].tolist() == [[10, 5, 30, 20]]


# --------------------------------------------------------------- packing


def test_pack_boxes():
    img = np.zeros((6, 8, 3), np.uint8)
    boxes = np.array([[1, 2, 3, 4], [0, 0, 8, 6]], np.float64)
    packed = PackMaskedInputs()(dict(img=img, gt_label=0, gt_bboxes=boxes))
    field = packed['data_samples'].gt_object_boxes
    assert isinstance(field, torch.Tensor) and field.dtype == torch.float32
    assert field.shape == (2, 4)
    assert field.tolist() == [[1, 2, 3, 4], [0, 0, 8, 6]]
    plain = PackMaskedInputs()(dict(img=img, gt_label=0))
    assert 'gt_object_boxes' not in plain['data_samples']
    with pytest.raises(ValueError, match=r'must be \(N, 4\)'):
        PackMaskedInputs()(
            dict(img=img, gt_label=0, gt_bboxes=np.zeros((4, ))))
    assert "box_key='gt_bboxes'" in repr(PackMaskedInputs())


# ------------------------------------------------------------------ EXIF


def _load(img_path, boxes, color_type='color', **kwargs):
    out = dict(img_path=img_path, object_boxes=boxes, box_file='boxes.txt')
    out = TRANSFORMS.build(
        dict(type='LoadImageFromFile', color_type=color_type))(out)
    return LoadObjectBoxes(**kwargs)(out)


@pytest.mark.parametrize('shape', [(80, 120), (96, 96)])
@pytest.mark.parametrize('orientation', range(1, 9))
def test_exif_rotated_image_keeps_its_box(tmp_path, orientation, shape):
    from PIL import Image, ImageOps
    mask = make_mask(*shape)
    mask[mask == 255] = 0
    img_path = str(tmp_path / 'a.jpg')
    # The box is annotated on the stored pixels, as CUB's and COCO's are.
    write_exif_jpeg(img_path, encode(mask), orientation)
    stored_box = tight_box(mask)
    out = _load(img_path, stored_box)
    assert out['gt_bboxes'].dtype == np.float32
    assert out['img'].shape[:2] == orient_like_image(mask, orientation).shape
    # PIL's own upright view of the file is the reference orientation.
    upright = np.asarray(ImageOps.exif_transpose(Image.open(img_path)))
    np.testing.assert_array_equal(out['gt_bboxes'],
                                  tight_box(decode(upright[..., ::-1])))
    np.testing.assert_array_equal(
        out['gt_bboxes'], tight_box(orient_like_image(mask, orientation)))
    if orientation != 1:
        assert not np.array_equal(out['gt_bboxes'], stored_box)
    # A loader that ignores orientation keeps the stored frame.
    kept = _load(
        img_path,
        stored_box,
        color_type='color_ignore_orientation',
        follow_image_exif=False)
    np.testing.assert_array_equal(kept['gt_bboxes'], stored_box)


def test_exif_mismatch_errors_say_why(tmp_path):
    mask = make_mask(80, 120)
    img_path = str(tmp_path / 'a.jpg')
    write_exif_jpeg(img_path, encode(mask), 6)
    box = np.array([[0, 0, 10, 10]], np.float32)
    with pytest.raises(ValueError, match=r'EXIF orientation 6.*'
                       r'LoadObjectBoxes\(follow_image_exif=True\)'):
        _load(img_path, box, follow_image_exif=False)
    with pytest.raises(ValueError, match=r'EXIF orientation 6.*'
                       r'LoadObjectBoxes\(follow_image_exif=False\)'):
        _load(img_path, box, color_type='color_ignore_orientation')


def test_box_outside_its_image(tmp_path):
    img_path = str(tmp_path / 'a.png')
    cv2.imwrite(img_path, np.zeros((30, 40, 3), np.uint8))
    # Within a pixel of the border: accepted and clipped.
    out = _load(img_path, np.array([[-0.5, 0, 40.9, 31]], np.float32))
    assert out['gt_bboxes'].tolist() == [[0, 0, 40, 30]]
    for bad in ([[0, 0, 41.5, 10]], [[-2, 0, 10, 10]], [[5, 5, 4, 10]]):
        with pytest.raises(ValueError) as err:
            _load(img_path, np.array(bad, np.float32))
        message = str(err.value)
        assert img_path in message and 'boxes.txt' in message
        assert '40x30 (width x height)' in message
        assert '0 <= x0 <= x1 <= 40' in message
    # Without boxes the transform leaves the sample alone.
    loaded = TRANSFORMS.build(dict(type='LoadImageFromFile'))(
        dict(img_path=img_path))
    assert 'gt_bboxes' not in LoadObjectBoxes()(loaded)
    with pytest.raises(ValueError, match='load the boxes before any'):
        LoadObjectBoxes()(
            dict(
                img=np.zeros((15, 20, 3), np.uint8),
                img_path=img_path,
                object_boxes=np.zeros((1, 4), np.float32)))


# ------------------------------------------------------------------- CUB


def _cub_files(root, images, boxes):
    root.mkdir(exist_ok=True)
    (root / 'images.txt').write_text(''.join(
        f'{i} {p}\n' for i, p in images))
    (root / 'bounding_boxes.txt').write_text(''.join(
        line + '\n' for line in boxes))
    return str(root / 'bounding_boxes.txt'), str(root / 'images.txt')


def test_read_cub_boxes(tmp_path):
    images = [(1, 'a/1.jpg'), (2, 'a/2.jpg'), (3, 'b/3.jpg')]
    box_file, images_file = _cub_files(
        tmp_path / 'ok', images,
        ['1 60.0 27.0 325.0 304.0', '', '3 0.5 1.5 2.0 3.0', '2 0 0 0 0'])
    boxes = read_cub_boxes(box_file, images_file)
    assert boxes['a/1.jpg'].tolist() == [[60, 27, 385, 331]]
    assert boxes['a/1.jpg'].dtype == np.float32
    assert boxes['b/3.jpg'].tolist() == [[0.5, 1.5, 2.5, 4.5]]
    assert boxes['a/2.jpg'].tolist() == [[0, 0, 0, 0]]

    cases = [
        (['1 60 27 325 304', '3 1 1 2 2'],
         r"no box for 1 of the 3 images.*image 2 \('a/2.jpg'\).*"
         r'"<image_id> <x> <y> <width> <height>"'),
        (['1 60 27 325', '2 1 1 2 2', '3 1 1 2 2'],
         r'line 1: expected "<image_id> <x> <y> <width> <height>".*'
         r"got '1 60 27 325'"),
        (['1 1 1 2 2', '2 1 1 two 2', '3 1 1 2 2'],
         r"line 2: expected .*got '2 1 1 two 2'"),
        (['1 1 1 2 2', '2 1 1 2 2', '3 1 1 -2 2'],
         r"line 3 \(image 3, 'b/3.jpg'\).*width, height >= 0"),
        (['1 1 1 2 2', '2 1 1 2 2', '2 1 1 2 2', '3 1 1 2 2'],
         r'line 3: image id 2 already has a box on line 2'),
        (['1 1 1 2 2', '2 1 1 2 2', '3 1 1 2 2', '4 1 1 2 2'],
         r'line 4: image id 4 is not in .*images.txt'),
    ]
    for k, (lines, message) in enumerate(cases):
        box_file, images_file = _cub_files(tmp_path / f'bad{k}', images,
                                           lines)
        with pytest.raises(ValueError, match=message) as err:
            read_cub_boxes(box_file, images_file)
        assert box_file in str(err.value)


@pytest.fixture(scope='module')
def cub_root(tmp_path_factory):
    return write_cub(str(tmp_path_factory.mktemp('box') / 'CUB_200_2011'))


def test_cub_dataset_boxes(cub_root, tmp_path):
    dataset = CUBWithMasks(cub_root, split='test')
    info = dataset.get_data_info(0)
    assert info['box_file'] == osp.join(cub_root, 'bounding_boxes.txt')
    mask = cv2.imread(info['mask_path'], cv2.IMREAD_UNCHANGED) >= 128
    np.testing.assert_array_equal(info['object_boxes'],
                                  tight_box(mask.astype(np.uint8)))
    assert 'Object boxes:' in repr(dataset)

    # A missing image id stops the build, naming the file and the image.
    root = write_cub(str(tmp_path / 'cub_missing'), per_class=2)
    box_file = osp.join(root, 'bounding_boxes.txt')
    lines = open(box_file).read().splitlines()
    with open(box_file, 'w') as f:
        f.write('\n'.join(lines[:2] + lines[3:]) + '\n')
    with pytest.raises(ValueError, match=r'no box for 1 of the 6 images.*'
                       r'image 3') as err:
        CUBWithMasks(root, split='test')
    assert box_file in str(err.value)

    # A box outside its image stops the sample, naming image and file.
    root = write_cub(str(tmp_path / 'cub_outside'), per_class=2)
    box_file = osp.join(root, 'bounding_boxes.txt')
    lines = open(box_file).read().splitlines()
    lines[0] = '1 60.0 27.0 325.0 304.0'  # CUB's first box, not ours
    with open(box_file, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    dataset = CUBWithMasks(
        root, split='train', val_fraction=None, pipeline=_pipeline('test'))
    assert dataset.get_data_info(0)['img_path'].endswith('_1001.jpg')
    with pytest.raises(ValueError, match='does not fit the image') as err:
        dataset.prepare_data(0)
    assert dataset.get_data_info(0)['img_path'] in str(err.value)
    assert box_file in str(err.value)
    assert 'x=60, y=27, width=325, height=304' in str(err.value)


def test_cub_without_bounding_boxes(tmp_path, monkeypatch):
    root = write_cub(str(tmp_path / 'CUB_200_2011'), with_boxes=False)
    warnings = []
    monkeypatch.setattr(MMLogger.get_current_instance(), 'warning',
                        warnings.append)
    dataset = CUBWithMasks(root, split='test', pipeline=_pipeline('test'))
    assert any('bounding_boxes.txt' in w and 'CUB_200_2011.tgz' in w
               for w in warnings), warnings
    assert 'object_boxes' not in dataset.get_data_info(0)
    sample = dataset[0]
    assert 'gt_object_boxes' not in sample['data_samples']
    assert 'gt_object_mask' in sample['data_samples']


# ------------------------------------------- whole pipelines: box alignment


def _pipeline(which, config='configs/_base_/datasets/cub_bs32_224.py'):
    return Config.fromfile(osp.join(ROOT, config))[f'{which}_pipeline']


@pytest.mark.parametrize('which', ['train', 'test'])
def test_cub_config_pipelines_move_boxes_with_masks(cub_root, which):
    dataset = CUBWithMasks(
        cub_root, split='train' if which == 'train' else 'test',
        val_fraction=None, pipeline=_pipeline(which))
    for repeat in range(3):
        np.random.seed(repeat)
        for i in range(len(dataset)):
            samples = dataset[i]['data_samples']
            boxes = samples.gt_object_boxes
            assert boxes.dtype == torch.float32 and boxes.shape == (1, 4)
            assert_box_fits_mask(boxes.numpy(),
                                 samples.gt_object_mask.numpy())


@pytest.mark.parametrize('which', ['train', 'test'])
def test_fashion_config_pipelines_move_boxes_with_masks(which):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/datasets/fashion_backgrounds_64.py'))
    dataset = FashionBackgroundsDataset(
        split='val', num_samples=24, pipeline=cfg[f'{which}_pipeline'])
    flipped = 0
    for i in range(len(dataset)):
        np.random.seed(i)
        sample = dataset[i]
        samples = sample['data_samples']
        # The exact tight box, before and after a flip.
        np.testing.assert_array_equal(
            samples.gt_object_boxes.numpy(),
            tight_box(samples.gt_object_mask.numpy()))
        flipped += bool(samples.get('flip', False))
    assert (flipped > 0) == (which == 'train')


# ------------------------------------------------------------------ COCO


def test_coco_boxes_are_the_annotation_boxes(tmp_path, monkeypatch):
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO

    from tools.dataset_converters.coco_single_object import convert
    root = tmp_path / 'coco'
    (root / 'annotations').mkdir(parents=True)
    (root / 'train2017').mkdir()
    h, w = 60, 80
    polygons = [
        [[10, 10, 20, 10, 20, 20, 10, 20]],
        [[3.7, 2.2, 61.4, 8.9, 44.1, 57.3, 6.5, 41.8]],
    ]
    annotations = []
    for i, poly in enumerate(polygons):
        # COCO's bbox of a mask: pycocotools' tight box, x, y, w, h.
        rle = mask_utils.merge(mask_utils.frPyObjects(poly, h, w))
        annotations.append(
            dict(id=i + 1, image_id=i + 1, category_id=1, segmentation=poly,
                 iscrowd=0, area=1.0,
                 bbox=mask_utils.toBbox(rle).tolist()))
    # A hand-written float box, as COCO's annotations have.
    annotations[1]['bbox'] = [3.5, 2.25, 58.0, 55.5]
    instances = dict(
        images=[
            dict(id=i + 1, file_name=f'{i + 1:012d}.jpg', height=h, width=w)
            for i in range(len(polygons))
        ],
        annotations=annotations,
        categories=[dict(id=1, name='person')])
    path = root / 'annotations' / 'instances_train2017.json'
    path.write_text(json.dumps(instances))
    convert(str(root), ['train2017'], min_samples=1)
    ann_file = root / 'annotations' / 'single_object_train2017.json'
    written = json.loads(ann_file.read_text())
    reference = COCO(str(path))
    for sample, ann in zip(written['samples'], annotations):
        assert sample['bbox'] == ann['bbox']
        mask = cv2.imread(str(root / sample['mask']), cv2.IMREAD_UNCHANGED)
        write_img(str(root / sample['img']), mask)

    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadObjectMask'),
        dict(type='LoadObjectBoxes'),
    ]
    dataset = COCOSingleObject(
        str(root), val_fraction=None, pipeline=pipeline)
    for i, ann in enumerate(annotations):
        x, y, bw, bh = ann['bbox']
        info = dataset.get_data_info(i)
        assert info['box_file'] == str(ann_file)
        assert info['object_boxes'].tolist() == [[x, y, x + bw, y + bh]]
        assert dataset[i]['gt_bboxes'].tolist() == [[x, y, x + bw, y + bh]]
    # The square [10, 20) x [10, 20): pycocotools' box is its pixels.
    np.testing.assert_array_equal(
        dataset[0]['gt_bboxes'], tight_box(reference.annToMask(
            annotations[0])))

    # A file from before boxes loads without them, and says so.
    for sample in written['samples']:
        del sample['bbox']
    ann_file.write_text(json.dumps(written))
    warnings = []
    monkeypatch.setattr(MMLogger.get_current_instance(), 'warning',
                        warnings.append)
    old = COCOSingleObject(str(root), val_fraction=None, pipeline=pipeline)
    assert 'object_boxes' not in old.get_data_info(0)
    assert 'gt_bboxes' not in old[0]
    assert any('no object boxes' in w and 'coco_single_object.py' in w
               for w in warnings), warnings
    # Some samples with a box and some without: a broken file.
    written['samples'][0]['bbox'] = [0, 0, 1, 1]
    ann_file.write_text(json.dumps(written))
    with pytest.raises(ValueError, match=r'1 of the 2 samples have no '
                       r'`bbox`.*Re-run the converter'):
        COCOSingleObject(str(root), val_fraction=None)
    # A box outside its image names the image and the annotation file.
    written['samples'][1]['bbox'] = [30.0, 10.0, 60.0, 20.0]
    ann_file.write_text(json.dumps(written))
    dataset = COCOSingleObject(
        str(root), val_fraction=None, pipeline=pipeline)
    with pytest.raises(ValueError, match='does not fit the image of 80x60'
                       ) as err:
        dataset[1]
    assert str(ann_file) in str(err.value)
    assert dataset.get_data_info(1)['img_path'] in str(err.value)
