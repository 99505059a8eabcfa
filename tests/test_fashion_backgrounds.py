import os.path as osp
import sys

import numpy as np
import pytest
from scipy import ndimage

from mmpretrain.registry import DATASETS
from topgap_mm.datasets import FashionBackgroundsDataset
from topgap_mm.datasets import fashion_backgrounds as fb

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='module')
def val_split():
    return fb.generate_split('val', num_samples=60, seed=3)


def test_same_seed_is_byte_identical_and_other_seed_differs(val_split):
    again = fb.generate_split('val', num_samples=60, seed=3)
    assert val_split.keys() == again.keys()
    for key in val_split:
        np.testing.assert_array_equal(val_split[key], again[key], err_msg=key)
    other = fb.generate_split('val', num_samples=60, seed=4)
    assert not np.array_equal(val_split['imgs'], other['imgs'])
    assert not np.array_equal(val_split['masks'], other['masks'])


def test_render_sample_reproduces_the_split_and_pastes_only_the_mask(
        val_split):
    images, _ = fb.load_fashion_subset()
    photos = fb.load_backgrounds(64)
    for i in range(len(val_split['imgs'])):
        top, left, side = val_split['obj_boxes'][i]
        img, mask, background = fb.render_sample(
            images[val_split['sources'][i]],
            photos[val_split['backgrounds'][i]], 64,
            tuple(val_split['crops'][i]), bool(val_split['flips'][i]),
            (top, left, side), val_split['hues'][i])
        np.testing.assert_array_equal(img, val_split['imgs'][i])
        np.testing.assert_array_equal(mask, val_split['masks'][i])

        # The mask is the whole resized object, at its box: nothing clipped.
        resized = fb.resize_object(images[val_split['sources'][i]], side)
        expected = np.zeros((64, 64), dtype=np.uint8)
        expected[top:top + side, left:left + side] = resized > 0
        np.testing.assert_array_equal(mask, expected)
        assert 0 <= top and 0 <= left and max(top, left) + side <= 64

        # Outside the mask the image is the background crop, inside it is
        # the tinted object intensity.
        outside = mask == 0
        np.testing.assert_array_equal(img[outside], background[outside])
        value = fb.OBJECT_MIN_VALUE + (1 - fb.OBJECT_MIN_VALUE) * (
            resized[resized > 0].astype(np.float32) / 255)
        colours = np.rint(255 * value[:, None] *
                          fb.object_tint(val_split['hues'][i]))
        window = img[top:top + side, left:left + side]
        np.testing.assert_array_equal(window[resized > 0], colours)


def test_masks_are_binary_and_objects_sized_as_asked():
    data = fb.generate_split(
        'test_id', img_size=32, num_samples=40, object_scale=(0.5, 0.75))
    assert data['imgs'].shape == (40, 32, 32, 3)
    assert set(np.unique(data['masks'])) == {0, 1}
    sides = data['obj_boxes'][:, 2]
    assert sides.min() >= 16 and sides.max() <= 24
    assert (data['masks'].reshape(40, -1).sum(1) > 0).all()


def test_shipped_objects_have_no_faint_specks():
    images, labels = fb.load_fashion_subset()
    assert images.shape == (2000, 28, 28)
    assert np.bincount(labels).tolist() == [500] * 4
    for image in images[::50]:
        components, num = ndimage.label(image > 0, np.ones((3, 3)))
        peaks = ndimage.maximum(image, components, np.arange(1, num + 1))
        assert np.min(peaks) >= fb.STRAY_COMPONENT_MAX


@pytest.mark.parametrize('num_samples', [400, 403])
def test_classes_are_balanced(num_samples):
    data = fb.generate_split('train', num_samples=num_samples)
    counts = np.bincount(data['labels'], minlength=len(fb.CLASSES))
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize('correlation', [0.9, 0.6, 1.0])
def test_background_follows_class_in_distribution(correlation):
    data = fb.generate_split('train', num_samples=400, correlation=correlation)
    np.testing.assert_array_equal(data['aligned'],
                                  data['backgrounds'] == data['labels'])
    for label in range(len(fb.CLASSES)):
        own = data['aligned'][data['labels'] == label]
        assert abs(own.mean() - correlation) <= 1 / len(own)
    # The other samples spread evenly over the other backgrounds.
    minority = data['backgrounds'][~data['aligned']]
    if len(minority):
        counts = np.bincount(minority, minlength=len(fb.BACKGROUNDS))
        assert counts.max() - counts.min() <= len(fb.CLASSES)


def test_background_is_independent_of_class_out_of_distribution():
    data = fb.generate_split('test_ood', correlation=0.9)
    assert abs(data['aligned'].mean() - 1 / len(fb.BACKGROUNDS)) < 0.01
    groups = np.zeros((len(fb.CLASSES), len(fb.BACKGROUNDS)), dtype=int)
    np.add.at(groups, (data['labels'], data['backgrounds']), 1)
    assert groups.max() - groups.min() <= 1


def test_splits_use_disjoint_source_images():
    pools = {split: set(fb.source_indices(split)) for split in fb.SPLITS}
    assert sum(map(len, pools.values())) == 2000
    assert len(set.union(*pools.values())) == 2000
    for split in fb.SPLITS:
        used = set(fb.generate_split(split, num_samples=200)['sources'])
        assert used <= pools[split]


def test_dataset_packs_image_label_and_mask(val_split):
    dataset = DATASETS.build(
        dict(
            type='FashionBackgroundsDataset',
            split='val',
            num_samples=60,
            seed=3,
            test_mode=True,
            pipeline=[dict(type='PackMaskedInputs')]))
    assert len(dataset) == 60
    assert dataset.CLASSES == fb.CLASSES
    assert dataset.metainfo['backgrounds'] == fb.BACKGROUNDS
    for i in (0, 7, 59):
        info = dataset.get_data_info(i)
        assert info['background'] == val_split['backgrounds'][i]
        assert info['aligned'] == val_split['aligned'][i]
        assert info['img_shape'] == info['ori_shape'] == (64, 64)
        packed = dataset[i]
        assert packed['inputs'].shape == (3, 64, 64)
        # BGR, as LoadImageFromFile gives.
        np.testing.assert_array_equal(
            packed['inputs'].permute(1, 2, 0).numpy(),
            val_split['imgs'][i][..., ::-1])
        sample = packed['data_samples']
        assert int(sample.gt_label) == val_split['labels'][i]
        np.testing.assert_array_equal(sample.gt_object_mask.numpy(),
                                      val_split['masks'][i])


@pytest.mark.parametrize('kwargs, name', [
    (dict(split='test'), 'split'),
    (dict(correlation=1.5), 'correlation'),
    (dict(correlation=-0.1), 'correlation'),
    (dict(img_size=8), 'img_size'),
    (dict(img_size=64.0), 'img_size'),
    (dict(object_scale=(0.5, 1.2)), 'object_scale'),
    (dict(object_scale=(0.0, 0.5)), 'object_scale'),
    (dict(object_scale=(0.7, 0.3)), 'object_scale'),
    (dict(object_scale=0.5), 'object_scale'),
    (dict(num_samples=0), 'num_samples'),
])
def test_bad_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=f'`{name}`'):
        FashionBackgroundsDataset(**kwargs)
    with pytest.raises(ValueError, match=f'`{name}`'):
        fb.generate_split(**{'split': 'train', **kwargs})


def test_bad_argument_names_the_split_of_its_dataloader(
        tmp_path, monkeypatch):
    """The train, val and test dataloaders each build this dataset; the
    error of a bad argument given to one of them says which."""
    from tools import train as train_tool
    config = osp.join(ROOT, 'configs/topgap/resnet18_fashionbg_k16.py')
    options = [
        f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader')
        for key in ('num_workers=0', 'persistent_workers=False',
                    'dataset.num_samples=8')
    ]
    monkeypatch.setattr(sys, 'argv', [
        'tools/train.py', config, '--work-dir',
        str(tmp_path), '--cfg-options', *options,
        'val_dataloader.dataset.correlation=1.5'
    ])
    with pytest.raises(
            ValueError,
            match=r"FashionBackgroundsDataset\(split='val'\): `correlation` "
            r'must be a number in \[0, 1\], got 1\.5'):
        train_tool.main()
    with pytest.raises(
            ValueError, match=r"generate_split\(split='test_ood'\): `img_"):
        fb.generate_split('test_ood', img_size=8)
