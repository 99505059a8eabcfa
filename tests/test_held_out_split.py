"""The held-out ``val`` split of CUB, Oxford-IIIT Pet and COCO single-object:
stratified, deterministic, disjoint from train and test, and train + val
are exactly MMPretrain's training split on the same files."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from test_public_datasets import write_coco, write_cub, write_pets

from mmpretrain.datasets import CUB, OxfordIIITPet
from topgap_mm.datasets import (COCOSingleObject, CUBWithMasks,
                                OxfordIIITPetWithMasks)
from topgap_mm.datasets.held_out import stratified_holdout_indices

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_holdout_indices_known_answer():
    # 10 of class 0, 20 of class 1, one of class 2, shuffled together.
    labels = np.array([0] * 10 + [1] * 20 + [2])
    labels = labels[np.random.default_rng(1).permutation(len(labels))]
    train, val = stratified_holdout_indices(labels, 0.1, seed=0)
    assert sorted(np.bincount(labels[val], minlength=3)) == [0, 1, 2]
    assert np.bincount(labels[val], minlength=3).tolist() == [1, 2, 0]
    assert sorted(train + val) == list(range(len(labels)))
    assert train == sorted(train) and val == sorted(val)
    # Deterministic per seed, and the seed matters.
    assert stratified_holdout_indices(labels, 0.1, seed=0) == (train, val)
    assert stratified_holdout_indices(labels, 0.1, seed=1)[1] != val


def test_holdout_keeps_every_class_in_training():
    # Two samples per class and fraction 0.9: one held out, never both.
    labels = [0, 0, 1, 1]
    train, val = stratified_holdout_indices(labels, 0.9, seed=0)
    assert len(train) == len(val) == 2
    assert sorted(labels[i] for i in train) == [0, 1]


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    base = tmp_path_factory.mktemp('held_out')
    coco = str(base / 'coco')
    write_coco(coco)
    return dict(
        cub=write_cub(str(base / 'CUB_200_2011'), per_class=8),
        pets=write_pets(str(base / 'Oxford-IIIT_Pets'), per_class=8),
        coco=coco)


def paths(dataset):
    return [(info['img_path'], info['gt_label'])
            for info in (dataset.get_data_info(i)
                         for i in range(len(dataset)))]


@pytest.mark.parametrize('name', ['cub', 'pets'])
def test_train_and_val_partition_mmpretrains_training_split(name, data):
    ours, theirs, train_split = {
        'cub': (CUBWithMasks, CUB, 'train'),
        'pets': (OxfordIIITPetWithMasks, OxfordIIITPet, 'trainval'),
    }[name]
    root = data[name]
    official = paths(theirs(root, split=train_split))
    train = paths(ours(root, split=train_split))
    val = paths(ours(root, split='val'))
    assert not set(train) & set(val)
    assert sorted(train + val) == sorted(official)
    # 4 training images per class (8 in all, half test): 10% rounds to one.
    assert sorted(label for _, label in val) == [0, 1, 2]
    # The test split is MMPretrain's, untouched.
    assert paths(ours(root, split='test')) == paths(theirs(root,
                                                            split='test'))
    # val_fraction=None: the official training split, in MMPretrain's order.
    whole = ours(root, split=train_split, val_fraction=None)
    assert paths(whole) == official


def test_val_depends_on_the_seed_only(data):
    a = paths(CUBWithMasks(data['cub'], split='val', val_seed=0))
    b = paths(CUBWithMasks(data['cub'], split='val', val_seed=0))
    seeds = {tuple(paths(CUBWithMasks(data['cub'], split='val',
                                      val_seed=s))) for s in range(6)}
    assert a == b and len(seeds) > 1


def test_coco_val_is_held_out_of_train2017(data):
    root = data['coco']
    whole = paths(COCOSingleObject(root, 'train2017', val_fraction=None))
    train = paths(COCOSingleObject(root, 'train2017'))
    val = paths(COCOSingleObject(root, 'val'))
    assert sorted(train + val) == sorted(whole) and not set(train) & set(val)
    assert len(val) == 2  # one of each of the 2 kept classes (3 images)
    test = paths(COCOSingleObject(root, 'val2017'))
    assert not set(test) & set(val)


def test_the_log_says_how_much_the_training_split_shrinks(data, capsys):
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    messages = []
    original = logger.info
    logger.info = messages.append
    try:
        CUBWithMasks(data['cub'], split='train')
    finally:
        logger.info = original
    assert any("split 'train' is 9 of the 12 samples" in m and
               "3 are held out as split 'val'" in m for m in messages)


def test_bad_held_out_arguments_are_named(data):
    with pytest.raises(ValueError, match='`val_fraction`'):
        CUBWithMasks(data['cub'], split='val', val_fraction=None)
    with pytest.raises(ValueError, match='`val_fraction`'):
        CUBWithMasks(data['cub'], split='train', val_fraction=1.5)
    with pytest.raises(ValueError, match='`val_seed`'):
        OxfordIIITPetWithMasks(data['pets'], split='val', val_seed='0')
    # A split that is none of them keeps MMPretrain's own check.
    with pytest.raises(AssertionError, match='The split must be one of'):
        CUBWithMasks(data['cub'], split='validation')


@pytest.mark.parametrize('config', [
    'configs/topgap/resnet18_cub_k256.py', 'configs/topgap/resnet18_pets_k256.py',
    'configs/topgap/resnet18_coco-single_k256.py'
])
def test_configs_validate_on_val_and_test_on_test(config):
    cfg = Config.fromfile(osp.join(ROOT, config))
    assert cfg.val_dataloader.dataset.split == 'val'
    assert cfg.test_dataloader.dataset.split in ('test', 'val2017')
    assert cfg.train_dataloader.dataset.split in ('train', 'trainval',
                                                  'train2017')
