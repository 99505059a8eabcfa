"""A file that the annotations list but the disk lacks stops the dataset
build, with the count, the first paths and the archive that has them."""
import os
import os.path as osp

import pytest
from test_public_datasets import write_cub, write_pets

from topgap_mm.datasets import CUBWithMasks, OxfordIIITPetWithMasks


def test_cub_missing_images_are_counted_at_build(tmp_path):
    root = write_cub(str(tmp_path / 'CUB_200_2011'), per_class=4)
    with open(osp.join(root, 'images.txt')) as f:
        rels = [line.split()[1] for line in f if line.strip()]
    # Two training images (split 1 = train: k < 2 in each class's first).
    for rel in rels[:2]:
        os.remove(osp.join(root, 'images', rel))
    with pytest.raises(FileNotFoundError) as error:
        CUBWithMasks(root, split='train', val_fraction=None)
    message = str(error.value)
    assert message.startswith('2 of the 6 files listed in')
    assert rels[0] in message and 'CUB_200_2011.tgz' in message
    # The test split does not list them and still builds.
    assert len(CUBWithMasks(root, split='test')) == 6


def test_pets_missing_trimap_is_named(tmp_path):
    root = write_pets(str(tmp_path / 'pets'), per_class=4)
    trimap = sorted(os.listdir(osp.join(root, 'annotations', 'trimaps')))[0]
    os.remove(osp.join(root, 'annotations', 'trimaps', trimap))
    with pytest.raises(FileNotFoundError, match=r'\(mask_path\).*' + trimap):
        for split in ('trainval', 'test'):
            OxfordIIITPetWithMasks(root, split=split, val_fraction=None)
