"""Bad annotations of the public datasets stop the dataset build with an
error naming the file (and line), never a silent skip or a sample leaked
into another split.

Each case starts from a tiny official-layout fixture of
``test_public_datasets`` and breaks one thing a damaged download or a
hand-edited list would: a missing annotation file, a line that points
outside the data root, a label outside the class list, a value outside
its range, a sample listed twice.
"""
import json
import os
import os.path as osp
import shutil

import pytest
from test_public_datasets import (write_coco, write_cub, write_folders,
                                  write_imagenet, write_pets,
                                  write_waterbirds)

from mmpretrain.datasets import ImageNet
from topgap_mm.datasets import (CheckedCustomDataset, CheckedImageNet,
                                COCOSingleObject, CUBWithMasks, ImageNetC,
                                ImageNetSketch, OxfordIIITPetWithMasks,
                                Waterbirds)

WNIDS = ('n01440764', 'n01443537', 'n01484850')
CLASSES = ('tench', 'goldfish', 'great white shark')


def edit(path, number, line):
    """Replace line ``number`` (1-based) of a text file; None deletes it."""
    with open(path) as f:
        lines = f.read().splitlines()
    if line is None:
        del lines[number - 1]
    else:
        lines[number - 1] = line
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def append(path, line):
    with open(path, 'a') as f:
        f.write(line + '\n')


def fails(build, error, pattern):
    with pytest.raises(error, match=pattern) as info:
        build()
    print(f'\n{info.typename}: {info.value}')
    return str(info.value)


@pytest.fixture(scope='module')
def fixtures(tmp_path_factory):
    """Pristine copies, copied per case (writing them is the slow part)."""
    base = tmp_path_factory.mktemp('pristine')
    cub = write_cub(str(base / 'CUB_200_2011'), per_class=4)
    coco = str(base / 'coco')
    write_coco(coco)
    return dict(
        cub=cub,
        pets=write_pets(str(base / 'Oxford-IIIT_Pets'), per_class=4),
        waterbirds=write_waterbirds(
            str(base / 'waterbird_complete95_forest2water2'), cub),
        coco=coco,
        imagenet=write_imagenet(str(base / 'imagenet')))


@pytest.fixture
def copy(fixtures, tmp_path):

    def copy(name):
        return shutil.copytree(fixtures[name], str(tmp_path / name))

    return copy


@pytest.mark.parametrize('name,removed,build,pattern', [
    ('cub', 'train_test_split.txt', CUBWithMasks,
     r'train_test_split\.txt.*CUB_200_2011\.tgz'),
    ('pets', 'annotations/test.txt',
     lambda root: OxfordIIITPetWithMasks(root, split='test'),
     r'test\.txt.*annotations\.tar\.gz'),
    ('waterbirds', 'metadata.csv', Waterbirds,
     r'metadata\.csv.*waterbird_complete95_forest2water2\.tar\.gz'),
    ('coco', 'annotations/single_object_val2017.json',
     lambda root: COCOSingleObject(root, split='val2017'),
     r'single_object_val2017\.json.*coco_single_object\.py'),
    # `val/` unpacks flat: its labels are in the list only.
    ('imagenet', 'meta/val.txt',
     lambda root: CheckedImageNet(root, split='val'),
     r"File not found: '.*meta/val\.txt'.*caffe_ilsvrc12\.tar\.gz"),
])
def test_missing_annotation_file(copy, name, removed, build, pattern):
    root = copy(name)
    os.remove(osp.join(root, removed))
    fails(lambda: build(root), FileNotFoundError, pattern)


# ------------------------------------------------------------------- CUB


@pytest.mark.parametrize('value', ['2', '-1', 'yes'])
def test_cub_split_value_other_than_0_or_1(copy, value):
    # MMPretrain's parser puts such an image in both splits.
    root = copy('cub')
    split_file = osp.join(root, 'train_test_split.txt')
    edit(split_file, 3, f'3 {value}')
    for split in ('train', 'test'):
        message = fails(lambda: CUBWithMasks(root, split=split),
                        ValueError,
                        r'train_test_split\.txt, line 3: .*image 3')
        assert split_file in message and '1 (train) or 0 (test)' in message


@pytest.mark.parametrize('name', ['train_test_split.txt',
                                  'image_class_labels.txt'])
def test_cub_image_without_a_split_or_label_line(copy, name):
    root = copy('cub')
    edit(osp.join(root, name), 5, None)
    fails(lambda: CUBWithMasks(root), ValueError,
          rf"{name.replace('.', '[.]')} has no line for 1 of the 12 images "
          r".*image 5")


@pytest.mark.parametrize('name,number,line,pattern', [
    ('images.txt', 2, '2 ../../outside.jpg',
     r"images\.txt, line 2: the path '\.\./\.\./outside\.jpg' points "
     r'outside'),
    ('images.txt', 2, '2 /etc/passwd',
     r"images\.txt, line 2: the path '/etc/passwd' points outside"),
    ('image_class_labels.txt', 4, '4 201',
     r'image_class_labels\.txt, line 4: class id 201 of .* is outside the '
     r'3 classes of classes\.txt'),
    # Image 1's path again, under image 12's id.
    ('images.txt', 12,
     '12 001.Black_footed_Albatross/Black_footed_Albatross_0000_1001.jpg',
     r'images\.txt, line 12: .* already listed on line 1'),
    # A second line for image 1 that would make it a test image too.
    ('train_test_split.txt', 13, '1 0',
     r'train_test_split\.txt, line 13: image id 1 is already listed on '
     r'line 1'),
])
def test_cub_bad_line(copy, name, number, line, pattern):
    root = copy('cub')
    path = osp.join(root, name)
    if number > 12:
        append(path, line)
    else:
        edit(path, number, line)
    fails(lambda: CUBWithMasks(root, split='test'), ValueError, pattern)


# ------------------------------------------------------------------ Pets


def test_pets_image_outside_the_data_root(copy):
    root = copy('pets')
    append(osp.join(root, 'annotations', 'test.txt'), '../../Bengal_9 3 1 9')
    fails(lambda: OxfordIIITPetWithMasks(root, split='test'), ValueError,
          r"test\.txt, line 4: the path '\.\./\.\./Bengal_9\.jpg' points "
          r'outside')


def test_pets_label_and_line_format(copy):
    root = copy('pets')
    test_file = osp.join(root, 'annotations', 'test.txt')
    edit(test_file, 2, 'american_bulldog_4 38 2 4')
    fails(lambda: OxfordIIITPetWithMasks(root, split='test'), ValueError,
          r'test\.txt, line 2: class id 38 of .* outside 1\.\.37')
    edit(test_file, 2, 'american_bulldog_4')
    fails(lambda: OxfordIIITPetWithMasks(root, split='test'), ValueError,
          r'test\.txt, line 2: expected "<image> <class id 1-37> '
          r'<species> <breed id>"')


def test_pets_image_in_both_splits(copy):
    root = copy('pets')
    append(osp.join(root, 'annotations', 'test.txt'), 'Abyssinian_1 1 1 1')
    for split in ('trainval', 'val', 'test'):
        fails(lambda: OxfordIIITPetWithMasks(root, split=split), ValueError,
              r"'Abyssinian_1' is in .*trainval\.txt \(line 1\) and in "
              r'.*test\.txt \(line 4\)')


# ------------------------------------------------------------ Waterbirds


def test_waterbirds_bad_rows(copy):
    root = copy('waterbirds')
    metadata = osp.join(root, 'metadata.csv')
    with open(metadata) as f:
        header, first, second = f.read().splitlines()[:3]
    edit(metadata, 3, second.replace(second.split(',')[1],
                                     '../outside.jpg'))
    fails(lambda: Waterbirds(root, split='val'), ValueError,
          r"metadata\.csv, line 3: the path '\.\./outside\.jpg' points "
          r'outside')
    # The same image again, in another split: a test image trained on.
    fields = first.split(',')
    fields[3] = '2'
    edit(metadata, 3, ','.join(fields))
    fails(lambda: Waterbirds(root, split='train'), ValueError,
          r'metadata\.csv, line 3: .* already listed on line 2')
    fields[1], fields[2] = second.split(',')[1], '2'
    edit(metadata, 3, ','.join(fields))
    fails(lambda: Waterbirds(root, split='test'), ValueError,
          r'metadata\.csv, line 3: y=2 of .* is outside 0\.\.1')


# ------------------------------------------------------------------ COCO


def _edit_samples(root, change):
    path = osp.join(root, 'annotations', 'single_object_val2017.json')
    with open(path) as f:
        annotation = json.load(f)
    change(annotation['samples'])
    with open(path, 'w') as f:
        json.dump(annotation, f)


def test_coco_bad_samples(copy):
    root = copy('coco')
    _edit_samples(root,
                  lambda s: s[1].update(img='../../outside/000000000002.jpg'))
    fails(lambda: COCOSingleObject(root, split='val2017'), ValueError,
          r"single_object_val2017\.json, sample 1: the path "
          r"'\.\./\.\./outside/000000000002\.jpg' points outside")
    _edit_samples(root, lambda s: s[1].update(img=s[0]['img'], label=5))
    fails(lambda: COCOSingleObject(root, split='val2017'), ValueError,
          r'single_object_val2017\.json, sample 1: label 5 of .* outside '
          r'the 2 classes')
    _edit_samples(root, lambda s: s[1].update(label=0))
    fails(lambda: COCOSingleObject(root, split='val2017'), ValueError,
          r'single_object_val2017\.json, sample 1: .* already listed as '
          r'sample 0')


# -------------------------------------------------------------- ImageNet

IMAGENET_VAL = 'ILSVRC2012_val_00000002.JPEG'


def test_imagenet_lists_load_as_mmpretrain_reads_them(copy):
    root = copy('imagenet')
    for split in ('train', 'val'):
        checked = CheckedImageNet(root, split=split)
        assert [checked.get_data_info(i) for i in range(len(checked))] == [
            ImageNet(root, split=split).get_data_info(i) for i in range(3)
        ]
        assert list(checked.get_gt_labels()) == [0, 1, 2]
    custom = CheckedCustomDataset(
        root, data_prefix='val', ann_file='meta/val.txt', classes=CLASSES)
    assert custom.get_data_info(1)['img_path'] == osp.join(
        root, 'val', IMAGENET_VAL)
    assert list(custom.get_gt_labels()) == [0, 1, 2]


@pytest.mark.parametrize('line,classes,pattern', [
    (f'{IMAGENET_VAL} 1005', None,
     rf'val\.txt, line 2: label 1005 of {IMAGENET_VAL!r} is outside the '
     r'1000 classes \(0\.\.999\)'),
    (f'{IMAGENET_VAL} 5', CLASSES,
     r'val\.txt, line 2: label 5 of .* is outside the 3 classes '
     r'\(0\.\.2\)'),
    (f'{IMAGENET_VAL} -1', None,
     r'val\.txt, line 2: expected "<image path> <label 0-999>", got '
     rf"'{IMAGENET_VAL} -1'"),
    (IMAGENET_VAL, None,
     r'val\.txt, line 2: expected "<image path> <label 0-999>"'),
    ('../x.JPEG 1', None,
     r"val\.txt, line 2: the path '\.\./x\.JPEG' points outside "
     r"'.*imagenet/val'"),
    ('/etc/passwd 1', None,
     r"val\.txt, line 2: the path '/etc/passwd' points outside"),
    # Line 1's image again.
    ('ILSVRC2012_val_00000001.JPEG 1', None,
     r"val\.txt, line 2: 'ILSVRC2012_val_00000001\.JPEG' is already "
     r'listed on line 1'),
])
def test_imagenet_bad_line(copy, line, classes, pattern):
    root = copy('imagenet')
    edit(osp.join(root, 'meta', 'val.txt'), 2, line)
    fails(lambda: CheckedImageNet(root, split='val', classes=classes),
          ValueError, pattern)
    fails(lambda: CheckedCustomDataset(
        root, data_prefix='val', ann_file='meta/val.txt',
        classes=classes or CheckedImageNet.METAINFO['classes']),
          ValueError, pattern)


def test_imagenet_image_in_train_and_val(copy):
    # A training image copied into `val/`: ImageNet's file names are unique
    # across the splits, so the name is the image.
    root = copy('imagenet')
    append(osp.join(root, 'meta', 'val.txt'),
           'n01440764_1.JPEG 0')
    for split in ('train', 'val'):
        fails(lambda: CheckedImageNet(root, split=split), ValueError,
              r"'n01440764_1\.JPEG' is in .*meta/train\.txt \(line 1\) "
              r'and in .*meta/val\.txt \(line 4\)')


# ---------------------------------------------- ImageNet-C and -Sketch


def test_imagenet_c_and_sketch_class_folders(tmp_path):
    sketch = write_folders(str(tmp_path / 'sketch'), WNIDS, name='sketch')
    corrupted = tmp_path / 'imagenet-c'
    write_folders(str(corrupted / 'fog' / '1'), WNIDS)

    def build_c():
        return ImageNetC(str(corrupted), corruptions='fog', severities=1,
                         classes=CLASSES)

    def build_sketch():
        return ImageNetSketch(sketch, classes=CLASSES)

    assert len(build_c()) == len(build_sketch()) == 6
    # An empty class folder (an archive unpacked in part) is no class
    # without samples.
    for folder in (osp.join(sketch, WNIDS[1]),
                   str(corrupted / 'fog' / '1' / WNIDS[1])):
        for name in os.listdir(folder):
            os.remove(osp.join(folder, name))
    fails(build_c, ValueError,
          rf"'{WNIDS[1]}' under .*fog/1' holds no image \(.jpeg, .jpg, "
          r'.png\)')
    fails(build_sketch, ValueError,
          rf"'{WNIDS[1]}' under .*sketch/?' holds no image")
    # A missing class folder would shift every later label.
    shutil.rmtree(osp.join(sketch, WNIDS[1]))
    fails(build_sketch, ValueError,
          r'holds 2 class folders but the dataset has 3 classes')
    fails(lambda: ImageNetC(str(corrupted), corruptions='fog',
                            severities=2, classes=CLASSES),
          FileNotFoundError, r"ImageNet-C folder not found: .*fog/2'")


def test_pets_trimap_of_another_size(copy):
    """A trimap file of the wrong size is named as such; the advice to load
    the mask before any geometric transform is for pipelines that do."""
    import cv2
    from mmpretrain.registry import TRANSFORMS
    from test_public_datasets import _pipeline
    root = copy('pets')
    dataset = OxfordIIITPetWithMasks(
        root, split='test', pipeline=_pipeline('pets', 'test'))
    info = dataset.get_data_info(0)
    trimap = cv2.imread(info['mask_path'], cv2.IMREAD_UNCHANGED)
    height, width = trimap.shape
    cv2.imwrite(info['mask_path'],
                cv2.resize(trimap, (width // 2, height // 2),
                           interpolation=cv2.INTER_NEAREST))
    message = fails(
        lambda: dataset[0], ValueError,
        rf"is {width // 2}x{height // 2} but the image .* is "
        rf'{width}x{height} \(width x height\)')
    assert 'geometric' not in message
    assert 'the mask file itself does not fit' in message
    assert 'annotations.tar.gz' in message
    # A resize before the mask is loaded: then the advice is right.
    resize = TRANSFORMS.build(dict(type='Resize', scale=(40, 30)))
    loaded = TRANSFORMS.build(dict(type='LoadImageFromFile'))(
        dataset.get_data_info(1))
    fails(lambda: TRANSFORMS.build(dict(type='LoadObjectMask'))(
        resize(loaded)), ValueError,
          'load the mask before any geometric transform')
