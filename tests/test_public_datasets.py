"""The public datasets on tiny fixtures in their official on-disk layout.

Each writer below lays out a few images exactly as the official archive
unpacks (file names, text and CSV formats, mask PNG value conventions).
The images are PNG-encoded (decoders go by content, not by the ``.jpg``
name) and their pixels encode the mask (see ``test_mask_transforms``), so
the whole train and test pipelines of the configs can be checked for
image/mask alignment.
"""
import json
import os
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

from mmpretrain.datasets import CIFAR10, KFoldDataset
from mmpretrain.registry import DATASETS, METRICS
from test_mask_transforms import agreement, encode, make_mask
from topgap_mm.datasets import (COCOSingleObject, CUBWithMasks, ImageNetC,
                                ImageNetSketch, OxfordIIITPetWithMasks,
                                StratifiedKFoldDataset, Waterbirds)
from topgap_mm.datasets.kfold import stratified_fold_indices
from topgap_mm.evaluation.metrics.group_accuracy import GroupAccuracy

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CUB_CLASSES = ('001.Black_footed_Albatross', '002.Laysan_Albatross',
               '003.Sooty_Albatross')
PET_BREEDS = ('Abyssinian', 'american_bulldog', 'Bengal')
#: Measured image/mask agreement per config and pipeline, printed at the end.
ALIGNMENT = {}


def write_img(path, mask):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path + '.png', encode(mask))
    os.replace(path + '.png', path)


def shape_of(i):
    """Varied image sizes, as in the real datasets."""
    return (120 + 10 * (i % 3), 160 - 8 * (i % 4))


# ---------------------------------------------------------------- writers


def write_cub(root, per_class=4, with_seg=True, with_boxes=True,
              all_classes=False):
    """``CUB_200_2011.tgz`` (+ ``segmentations.tgz``): images of 3 classes.
    Each image's box in ``bounding_boxes.txt`` is the tight box of its
    bird. ``all_classes`` lists the 200 classes of the release in
    classes.txt (the class count the shipped configs expect), else the 3."""
    lines = dict(images=[], labels=[], split=[])
    if with_boxes:
        lines['boxes'] = []
    idx = 0
    for c, cls in enumerate(CUB_CLASSES):
        for k in range(per_class):
            idx += 1
            name = f'{cls.split(".")[1]}_{k:04d}_{1000 + idx}'
            rel = f'{cls}/{name}'
            mask = make_mask(*shape_of(idx))
            mask[mask == 255] = 0
            # Soft annotator agreement: 3/5 (153) is bird, 2/5 (102) is not.
            gray = np.zeros(mask.shape, np.uint8)
            gray[:8, :] = 102
            gray[mask == 1] = 255 if k % 2 else 153
            write_img(osp.join(root, 'images', rel + '.jpg'), mask)
            if with_seg:
                seg = osp.join(root, 'segmentations', rel + '.png')
                os.makedirs(osp.dirname(seg), exist_ok=True)
                cv2.imwrite(seg, gray)
            lines['images'].append(f'{idx} {rel}.jpg')
            lines['labels'].append(f'{idx} {c + 1}')
            lines['split'].append(f'{idx} {int(k < per_class // 2)}')
            if with_boxes:
                rows, cols = np.nonzero(mask == 1)
                x, y = cols.min(), rows.min()
                lines['boxes'].append(
                    f'{idx} {x:.1f} {y:.1f} {cols.max() + 1 - x:.1f} '
                    f'{rows.max() + 1 - y:.1f}')
    write_cub_lists(root, lines,
                    cub_folders() if all_classes else CUB_CLASSES)
    return root


def cub_folders():
    """The 200 class folders of CUB-200-2011, ``001.Black_footed_Albatross``
    to ``200.Common_Yellowthroat``."""
    from mmpretrain.datasets.categories import CUB_CATEGORIES
    return [f'{i + 1:03d}.{name}' for i, name in enumerate(CUB_CATEGORIES)]


def write_cub_lists(root, lines, folders):
    """CUB's list files: ``lines`` holds the rows of images.txt
    (``images``), image_class_labels.txt (``labels``),
    train_test_split.txt (``split``) and, if given, bounding_boxes.txt
    (``boxes``); ``folders`` the class folders."""
    for name, key in (('images.txt', 'images'), ('image_class_labels.txt',
                                                 'labels'),
                      ('train_test_split.txt', 'split'),
                      ('bounding_boxes.txt', 'boxes')):
        if key in lines:
            with open(osp.join(root, name), 'w') as f:
                f.write('\n'.join(lines[key]) + '\n')
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write(''.join(f'{i + 1} {c}\n' for i, c in enumerate(folders)))


def write_pets(root, per_class=4):
    """``images.tar.gz`` + ``annotations.tar.gz``: 3 breeds."""
    split = dict(trainval=[], test=[])
    os.makedirs(osp.join(root, 'annotations', 'trimaps'))
    idx = 0
    for c, breed in enumerate(PET_BREEDS):
        for k in range(per_class):
            idx += 1
            name = f'{breed}_{k + 1}'
            mask = make_mask(*shape_of(idx))
            # Trimap: 1 pet, 2 background, 3 the border band (ignore).
            obj = (mask == 1).astype(np.uint8)
            ring = cv2.dilate(obj, np.ones((5, 5), np.uint8)) - cv2.erode(
                obj, np.ones((5, 5), np.uint8))
            trimap = np.where(obj == 1, 1, 2).astype(np.uint8)
            trimap[ring == 1] = 3
            decoded = np.select([trimap == 1, trimap == 2], [1, 0], 255)
            write_img(
                osp.join(root, 'images', name + '.jpg'),
                decoded.astype(np.uint8))
            cv2.imwrite(
                osp.join(root, 'annotations', 'trimaps', name + '.png'),
                trimap)
            species = 1 if breed[0].isupper() else 2
            split['trainval' if k < 3 else 'test'].append(
                f'{name} {c + 1} {species} {k + 1}')
    for name, lines in split.items():
        with open(osp.join(root, 'annotations', f'{name}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return root


def write_waterbirds(root, cub_root):
    """``waterbird_complete95_forest2water2``: CUB images, metadata.csv."""
    rows = ['img_id,img_filename,y,split,place,place_filename']
    with open(osp.join(cub_root, 'images.txt')) as f:
        rels = [line.split()[1] for line in f if line.strip()]
    for i, rel in enumerate(rels):
        src = cv2.imread(osp.join(cub_root, 'images', rel))
        os.makedirs(osp.dirname(osp.join(root, rel)), exist_ok=True)
        cv2.imwrite(osp.join(root, rel + '.png'), src)
        os.replace(osp.join(root, rel + '.png'), osp.join(root, rel))
        rows.append(f'{i + 1},{rel},{i % 2},{i % 3},{(i // 2) % 2},'
                    f'/b/bamboo_forest/{i:08d}.jpg')
    with open(osp.join(root, 'metadata.csv'), 'w') as f:
        f.write('\n'.join(rows) + '\n')
    return root


def coco_instances(split):
    """An ``instances_<split>.json`` with every case of the selection."""
    images, anns = [], []

    def image(i, h=120, w=160):
        images.append(
            dict(id=i, file_name=f'{i:012d}.jpg', height=h, width=w))

    def ann(i, image_id, cat, seg, crowd=0):
        anns.append(
            dict(
                id=i,
                image_id=image_id,
                category_id=cat,
                segmentation=seg,
                iscrowd=crowd,
                area=1.0,
                bbox=[0, 0, 1, 1]))

    poly = [[30.0, 20.0, 130.0, 25.0, 120.0, 100.0, 40.0, 90.0]]
    for i in range(1, 4):  # cat 1 ("person"): kept, polygons
        image(i)
        ann(i, i, 1, poly)
    image(4)  # two objects: dropped
    ann(4, 4, 1, poly)
    ann(5, 4, 18, poly)
    image(5)  # one crowd region: dropped
    ann(6, 5, 18, {'counts': [100, 50, 19050], 'size': [120, 160]}, crowd=1)
    # cat 18 ("dog"): kept, one of them as uncompressed RLE.
    rle = np.zeros((120, 160), np.uint8)
    rle[30:90, 50:110] = 1
    flat = rle.T.reshape(-1)
    change = np.flatnonzero(np.diff(flat)) + 1
    counts = np.diff(np.concatenate([[0], change, [flat.size]])).tolist()
    for i in range(6, 9):
        image(i)
        ann(10 + i, i, 18, poly if i != 8 else {
            'counts': counts,
            'size': [120, 160]
        })
    image(9)  # cat 3 ("car"): one per split, 2 < min_samples (3)
    ann(20, 9, 3, poly)
    image(10)  # no object at all: dropped
    return dict(
        images=images,
        annotations=anns,
        categories=[
            dict(id=1, name='person'),
            dict(id=3, name='car'),
            dict(id=18, name='dog')
        ])


def write_coco(root, splits=('train2017', 'val2017')):
    """COCO: ``annotations/instances_<split>.json`` and the images; then
    the converter; then images that encode the converted masks."""
    from tools.dataset_converters.coco_single_object import convert
    os.makedirs(osp.join(root, 'annotations'))
    for split in splits:
        with open(
                osp.join(root, 'annotations', f'instances_{split}.json'),
                'w') as f:
            json.dump(coco_instances(split), f)
        os.makedirs(osp.join(root, split))
    written = convert(root, splits, min_samples=3)
    for split in splits:
        with open(osp.join(root, 'annotations',
                           f'single_object_{split}.json')) as f:
            for s in json.load(f)['samples']:
                mask = cv2.imread(
                    osp.join(root, s['mask']), cv2.IMREAD_UNCHANGED)
                write_img(osp.join(root, s['img']), mask)
    return written


def write_folders(root, wnids=('n01440764', 'n01443537', 'n01484850'),
                  per_class=2, name='img', size=8):
    """One folder per class (ImageNet-Sketch, one ImageNet-C pair, a
    ``CustomDataset``), ``per_class`` JPEG files of ``size`` x ``size``
    in each."""
    for wnid in wnids:
        os.makedirs(osp.join(root, wnid))
        for k in range(per_class):
            cv2.imwrite(
                osp.join(root, wnid, f'{name}_{k}.JPEG'),
                np.full((size, size, 3), k, np.uint8))
    return root


def imagenet_wnids():
    """The 1000 WordNet ids of ImageNet-1k in label order (sorted)."""
    from timm.data import ImageNetInfo
    return ImageNetInfo().label_names()


def write_imagenet(root, per_split=3, size=(40, 48)):
    """ImageNet-1k as MMPretrain prepares it: ``train/<wnid>/<wnid>_<n>
    .JPEG``, ``val/ILSVRC2012_val_<n>.JPEG`` and the lists
    ``meta/train.txt`` and ``meta/val.txt`` (``<path> <label>``); images
    of the first ``per_split`` classes."""
    wnids = imagenet_wnids()
    lists = dict(train=[], val=[])
    for label in range(per_split):
        rel = dict(train=f'{wnids[label]}/{wnids[label]}_{label + 1}.JPEG',
                   val=f'ILSVRC2012_val_{label + 1:08d}.JPEG')
        for split, path in rel.items():
            os.makedirs(osp.dirname(osp.join(root, split, path)),
                        exist_ok=True)
            cv2.imwrite(
                osp.join(root, split, path),
                np.full((*size, 3), 40 * label, np.uint8))
            lists[split].append(f'{path} {label}')
    os.makedirs(osp.join(root, 'meta'))
    for split, rows in lists.items():
        with open(osp.join(root, 'meta', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(rows) + '\n')
    return root


def write_cifar10(root):
    """``cifar-10-python.tar.gz`` unpacked: ``cifar-10-batches-py/`` with
    5 training batches and a test batch of 4 images each, pickled as the
    release does. Their md5 sums cannot be the release's."""
    folder = osp.join(root, 'cifar-10-batches-py')
    os.makedirs(folder)
    rng = np.random.default_rng(0)
    for name in [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']:
        batch = {
            'data': rng.integers(0, 255, (4, 3072), dtype=np.uint8),
            'labels': [0, 1, 2, 9]
        }
        with open(osp.join(folder, name), 'wb') as f:
            pickle.dump(batch, f)
    return root


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    base = tmp_path_factory.mktemp('data')
    roots = dict(
        cub=write_cub(str(base / 'CUB_200_2011')),
        pets=write_pets(str(base / 'Oxford-IIIT_Pets')),
        coco=str(base / 'coco'))
    roots['waterbirds'] = write_waterbirds(
        str(base / 'waterbird_complete95_forest2water2'), roots['cub'])
    roots['coco_written'] = write_coco(roots['coco'])
    return roots


def packed_mask(sample):
    return sample['data_samples'].gt_object_mask.numpy()


# ------------------------------------------------------------------- CUB


def test_cub_reads_official_layout_with_masks(data):
    # The official training split whole (no held-out `val`).
    train = CUBWithMasks(data['cub'], split='train', val_fraction=None)
    test = CUBWithMasks(data['cub'], split='test')
    assert len(train) == len(test) == 6
    assert train.CLASSES == ('Black_footed_Albatross', 'Laysan_Albatross',
                             'Sooty_Albatross')
    assert sorted(set(train.get_gt_labels())) == [0, 1, 2]
    info = train.get_data_info(0)
    assert info['mask_path'].endswith(
        'segmentations/001.Black_footed_Albatross/'
        'Black_footed_Albatross_0000_1001.png')
    out = CUBWithMasks(
        data['cub'],
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadObjectMask')])[0]
    mask = out['gt_seg_map']
    assert mask.shape == out['img'].shape[:2]
    # 153 (3/5 annotators) is bird, 102 (2/5) is not.
    assert mask[:8].max() == 0 and mask.max() == 1
    assert agreement(out['img'], mask) == 1.0


def touch(path):
    os.makedirs(osp.dirname(path), exist_ok=True)
    open(path, 'wb').close()


def test_full_class_lists_match_mmpretrains(tmp_path):
    """On the official class lists (200 birds, 37 breeds), with one train
    and one test image each, the mask-aware datasets have MMPretrain's
    class names, samples and labels."""
    from mmpretrain.datasets import CUB, OxfordIIITPet
    from mmpretrain.datasets.categories import OxfordIIITPet_CATEGORIES
    cub = tmp_path / 'CUB_200_2011'
    lines = dict(images=[], labels=[], split=[], boxes=[])
    folders = cub_folders()
    for c, folder in enumerate(folders):
        for k in range(2):
            idx = 2 * c + k + 1
            rel = f'{folder}/{folder[4:]}_{k:04d}_{idx}'
            touch(str(cub / 'images' / (rel + '.jpg')))
            touch(str(cub / 'segmentations' / (rel + '.png')))
            lines['images'].append(f'{idx} {rel}.jpg')
            lines['labels'].append(f'{idx} {c + 1}')
            lines['split'].append(f'{idx} {1 - k}')
            lines['boxes'].append(f'{idx} 60.0 27.0 325.0 304.0')
    write_cub_lists(str(cub), lines, folders)

    pets = tmp_path / 'Oxford-IIIT_Pets'
    split = dict(trainval=[], test=[])
    for c, breed in enumerate(OxfordIIITPet_CATEGORIES):
        for k, name in enumerate(('trainval', 'test')):
            image = f'{breed}_{k + 1}'
            touch(str(pets / 'images' / (image + '.jpg')))
            touch(str(pets / 'annotations' / 'trimaps' / (image + '.png')))
            species = 1 if breed[0].isupper() else 2
            split[name].append(f'{image} {c + 1} {species} {k + 1}')
    for name, rows in split.items():
        (pets / 'annotations' / f'{name}.txt').write_text(
            '\n'.join(rows) + '\n')

    for ours, theirs, root, train_split in (
            (CUBWithMasks, CUB, cub, 'train'),
            (OxfordIIITPetWithMasks, OxfordIIITPet, pets, 'trainval')):
        for name in (train_split, 'test'):
            kwargs = dict(val_fraction=None) if name == train_split else {}
            a, b = ours(str(root), split=name, **kwargs), theirs(
                str(root), split=name)
            assert a.CLASSES == b.CLASSES and len(a.CLASSES) in (200, 37)
            assert a.metainfo['classes'] == b.metainfo['classes']
            assert [(i['img_path'], i['gt_label']) for i in a.data_list] \
                == [(i['img_path'], i['gt_label']) for i in b.data_list]


def test_configs_use_cub_with_masks_and_cub_stays_mmpretrains(data):
    from mmpretrain.datasets import CUB
    assert DATASETS.get('CUB') is CUB
    assert DATASETS.get('CUBWithMasks') is CUBWithMasks
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/topgap/resnet18_cub_k256.py'))
    assert cfg.train_dataloader.dataset.type == 'CUBWithMasks'


def test_cub_without_segmentations(tmp_path, monkeypatch):
    root = write_cub(str(tmp_path / 'CUB_200_2011'), with_seg=False)
    warnings = []
    monkeypatch.setattr(MMLogger.get_current_instance(), 'warning',
                        warnings.append)
    dataset = CUBWithMasks(root, pipeline=_pipeline('cub', 'test'))
    message = warnings[0]
    print('\nCUB without segmentations, dataset warning:\n' + message)
    assert 'segmentations.tgz' in message and 'cannot' in message
    sample = dataset[0]
    assert 'gt_object_mask' not in sample['data_samples']
    # A mask metric then stops with its own message.
    from topgap_mm.evaluation.ground_truth import labels_and_masks
    with pytest.raises(ValueError, match='gives none') as err:
        labels_and_masks(
            dict(
                inputs=[sample['inputs']],
                data_samples=[sample['data_samples']]),
            1,
            with_masks=True)
    print('mask metric error:\n' + str(err.value))
    with pytest.raises(FileNotFoundError, match='segmentations.tgz'):
        CUBWithMasks(root, with_mask=True)
    assert 'mask_path' not in CUBWithMasks(root, with_mask=False)[0]


def test_cub_errors(tmp_path, data):
    with pytest.raises(FileNotFoundError, match='CUB_200_2011.tgz') as err:
        CUBWithMasks(str(tmp_path / 'nowhere'))
    assert 'nowhere' in str(err.value)
    root = write_cub(str(tmp_path / 'cub'))
    os.remove(osp.join(root, 'classes.txt'))
    with pytest.raises(FileNotFoundError, match='classes.txt'):
        CUBWithMasks(root)
    root = write_cub(str(tmp_path / 'cub2'))
    label_file = osp.join(root, 'image_class_labels.txt')
    lines = open(label_file).read().split('\n')
    lines[0] = '1 4'  # a 4th class in a 3-class classes.txt
    with open(label_file, 'w') as f:
        f.write('\n'.join(lines))
    with pytest.raises(ValueError, match='outside the 3 classes'):
        CUBWithMasks(root)
    # A mask missing for one image is an error, never background.
    root = write_cub(str(tmp_path / 'cub3'))
    dataset = CUBWithMasks(root, pipeline=_pipeline('cub', 'train'))
    os.remove(dataset.get_data_info(1)['mask_path'])
    with pytest.raises(FileNotFoundError, match='segmentations.tgz') as err:
        dataset.prepare_data(1)
    assert dataset.get_data_info(1)['mask_path'] in str(err.value)


# ------------------------------------------------------------------ Pets


def test_pets_trimaps(data):
    train = OxfordIIITPetWithMasks(
        data['pets'], split='trainval', val_fraction=None)
    test = OxfordIIITPetWithMasks(data['pets'], split='test')
    assert (len(train), len(test)) == (9, 3)
    assert DATASETS.get('OxfordIIITPetWithMasks') is OxfordIIITPetWithMasks
    assert train.CLASSES[:2] == ('Abyssinian', 'american_bulldog')
    out = OxfordIIITPetWithMasks(
        data['pets'],
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadObjectMask')])[0]
    mask = out['gt_seg_map']
    # The border band (3) is ignore (255), never background.
    assert set(np.unique(mask)) == {0, 1, 255}
    assert agreement(out['img'], mask) == 1.0


def test_pets_errors(tmp_path, data):
    with pytest.raises(FileNotFoundError, match='annotations.tar.gz'):
        OxfordIIITPetWithMasks(str(tmp_path / 'none'))
    (tmp_path / 'images').mkdir()
    with pytest.raises(FileNotFoundError, match='annotations.tar.gz') as err:
        OxfordIIITPetWithMasks(str(tmp_path))
    assert 'trimaps' in str(err.value)
    root = write_pets(str(tmp_path / 'pets'))
    with open(osp.join(root, 'annotations', 'test.txt'), 'a') as f:
        f.write('Bengal_99 38 1 99\n')
    with pytest.raises(ValueError, match='class id 38'):
        OxfordIIITPetWithMasks(root, split='test')


# ------------------------------------------------------------ Waterbirds


def test_waterbirds(data):
    seg = osp.join(data['cub'], 'segmentations')
    splits = {
        s: Waterbirds(data['waterbirds'], split=s, seg_root=seg)
        for s in ('train', 'val', 'test')
    }
    assert sum(len(d) for d in splits.values()) == 12
    assert splits['train'].CLASSES == ('landbird', 'waterbird')
    assert len(splits['train'].metainfo['groups']) == 4
    info = splits['val'].get_data_info(0)
    assert info['group_label'] in range(4)
    assert info['mask_path'].startswith(seg)
    species = Waterbirds(data['waterbirds'], split='test', label='species')
    assert len(species.CLASSES) == 200
    assert set(species.get_gt_labels()) <= {0, 1, 2}
    assert 'mask_path' not in species.get_data_info(0)


def test_waterbirds_and_coco_take_a_relative_data_root(
        tmp_path, data, monkeypatch):
    """The configs' default roots are relative to the working directory;
    the annotation file is found under the root once, not twice."""
    (tmp_path / 'data').mkdir()
    for name in ('waterbirds', 'coco'):
        os.symlink(data[name], tmp_path / 'data' / osp.basename(data[name]))
    monkeypatch.chdir(tmp_path)
    root = 'data/waterbird_complete95_forest2water2'
    relative = Waterbirds(root, split='test')
    assert relative.ann_file == osp.join(root, 'metadata.csv')
    assert [i['img_path'] for i in relative.data_list] == [
        osp.join(root, osp.relpath(i['img_path'], data['waterbirds']))
        for i in Waterbirds(data['waterbirds'], split='test').data_list
    ]
    coco = COCOSingleObject('data/coco', split='val2017')
    assert coco.ann_file == 'data/coco/annotations/single_object_val2017.json'
    assert len(coco) == 6 and osp.isfile(coco.get_data_info(0)['img_path'])


def test_waterbirds_errors(tmp_path, data):
    with pytest.raises(FileNotFoundError, match='waterbird_complete95'):
        Waterbirds(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='segmentations.tgz'):
        Waterbirds(data['waterbirds'], seg_root=str(tmp_path / 'seg'))
    root = tmp_path / 'wb'
    root.mkdir()
    (root / 'metadata.csv').write_text(
        'img_id,img_filename,y,split,place,place_filename\n'
        '1,001.A/a.jpg,2,0,0,x.jpg\n')
    with pytest.raises(ValueError, match='y=2'):
        Waterbirds(str(root))


def test_group_accuracy():
    groups = np.array([0, 0, 1, 1, 2, 3, 3, 3])
    correct = np.array([1, 1, 1, 0, 0, 1, 1, 0])
    names = ('a', 'b', 'c', 'd')
    out = GroupAccuracy.calculate(groups, correct, names)
    assert out['accuracy'] == pytest.approx(62.5)
    assert out['worst_group_accuracy'] == 0.0
    assert out['average_accuracy'] == pytest.approx(
        100 * (1 + 0.5 + 0 + 2 / 3) / 4)
    assert out['b'] == 50.0
    weighted = GroupAccuracy.calculate(groups, correct, names, (1, 0, 0, 1))
    assert weighted['average_accuracy'] == pytest.approx(100 * (1 + 2 / 3) /
                                                         2)
    metric = METRICS.build(dict(type='GroupAccuracy'))
    metric.dataset_meta = dict(groups=names)
    metric.process(None, [
        dict(group_label=g, pred_label=torch.tensor([c]),
             gt_label=torch.tensor([1])) for g, c in zip(groups, correct)
    ])
    assert metric.evaluate(8)['group/worst_group_accuracy'] == 0.0
    with pytest.raises(KeyError, match='meta_keys'):
        metric.process(None, [dict(pred_label=1, gt_label=1)])


# ------------------------------------------------------------------ COCO


def test_coco_converter_and_dataset(data):
    assert data['coco_written'] == dict(
        train2017=6, val2017=6, classes=2)
    train = COCOSingleObject(data['coco'], split='train2017',
                             val_fraction=None)
    assert train.CLASSES == ('person', 'dog')
    assert list(train.get_gt_labels()) == [0, 0, 0, 1, 1, 1]
    masks = [
        cv2.imread(train.get_data_info(i)['mask_path'],
                   cv2.IMREAD_UNCHANGED) for i in range(6)
    ]
    poly, rle = masks[0], masks[5]
    # The polygon's corners (30, 20), (130, 25), (120, 100), (40, 90).
    assert poly[60, 80] == 1 and poly[5, 5] == 0 and poly[60, 140] == 0
    assert rle.sum() == 60 * 60 and rle[30:90, 50:110].all()
    out = COCOSingleObject(
        data['coco'],
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadObjectMask')])[3]
    assert agreement(out['img'], out['gt_seg_map']) == 1.0


def test_coco_masks_equal_pycocotools_ann_to_mask(tmp_path):
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO

    from tools.dataset_converters.coco_single_object import convert
    root = tmp_path / 'coco'
    (root / 'annotations').mkdir(parents=True)
    (root / 'train2017').mkdir()
    h, w = 60, 80
    rle = np.zeros((h, w), np.uint8, order='F')
    rle[5:40, 30:70] = 1
    compressed = mask_utils.encode(rle)
    compressed['counts'] = compressed['counts'].decode()
    segmentations = [
        # Two parts: an axis-aligned square and a triangle.
        [[10, 10, 20, 10, 20, 20, 10, 20],
         [40.3, 30.7, 70.2, 35.1, 55.6, 55.9]],
        # Non-integer vertices.
        [[3.7, 2.2, 61.4, 8.9, 44.1, 57.3, 6.5, 41.8]],
        compressed,
    ]
    instances = dict(
        images=[
            dict(id=i + 1, file_name=f'{i + 1:012d}.jpg', height=h, width=w)
            for i in range(3)
        ],
        annotations=[
            dict(id=i + 1, image_id=i + 1, category_id=1, segmentation=seg,
                 iscrowd=0, area=1.0, bbox=[0, 0, 1, 1])
            for i, seg in enumerate(segmentations)
        ],
        categories=[dict(id=1, name='person')])
    path = root / 'annotations' / 'instances_train2017.json'
    path.write_text(json.dumps(instances))
    assert convert(str(root), ['train2017'], min_samples=1) == dict(
        train2017=3, classes=1)
    reference = COCO(str(path))
    with open(root / 'annotations' / 'single_object_train2017.json') as f:
        samples = json.load(f)['samples']
    for sample, ann in zip(samples, instances['annotations']):
        written = cv2.imread(str(root / sample['mask']),
                             cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(written, reference.annToMask(ann))
    first = cv2.imread(str(root / samples[0]['mask']), cv2.IMREAD_UNCHANGED)
    # The square [10, 20) x [10, 20) covers exactly 10 x 10 pixels; a
    # rasteriser that fills the closed polygon gives 11 x 11.
    assert first[:25, :25].sum() == 100 and first[10:20, 10:20].all()
    assert first[40:56, 40:71].any()  # the second part is there too
    np.testing.assert_array_equal(
        cv2.imread(str(root / samples[2]['mask']), cv2.IMREAD_UNCHANGED),
        rle)


def test_coco_errors(tmp_path, data):
    with pytest.raises(FileNotFoundError,
                       match='tools/dataset_converters/coco_single_object'):
        COCOSingleObject(data['coco'], split='val2014')
    root = tmp_path / 'coco'
    (root / 'annotations').mkdir(parents=True)
    (root / 'train2017').mkdir()
    (root / 'annotations' / 'single_object_train2017.json').write_text(
        json.dumps(
            dict(
                classes=['person'],
                samples=[dict(img='train2017/a.jpg', mask='m.png',
                              label=1)])))
    with pytest.raises(ValueError, match='outside the 1 classes'):
        COCOSingleObject(str(root))
    from tools.dataset_converters.coco_single_object import convert
    with pytest.raises(FileNotFoundError, match='annotations_trainval2017'):
        convert(str(tmp_path / 'none'), ['train2017'])


# ------------------------------------------- ImageNet family, CIFAR, folders


def test_imagenet_sketch(tmp_path):
    root = write_folders(str(tmp_path / 'sketch'), name='sketch')
    dataset = ImageNetSketch(root, classes=['tench', 'goldfish', 'shark'])
    assert len(dataset) == 6 and list(dataset.get_gt_labels()) == [
        0, 0, 1, 1, 2, 2
    ]
    with pytest.raises(ValueError, match='3 class folders but the dataset '
                       'has 1000'):
        ImageNetSketch(root)
    with pytest.raises(FileNotFoundError, match='ImageNet-Sketch.zip'):
        ImageNetSketch(str(tmp_path / 'none'))


def test_imagenet_c(tmp_path):
    root = tmp_path / 'imagenet-c'
    for corruption in ('fog', 'gaussian_noise'):
        for severity in (1, 3):
            write_folders(str(root / corruption / str(severity)))
    classes = ['tench', 'goldfish', 'shark']
    dataset = ImageNetC(
        str(root),
        corruptions=['fog', 'gaussian_noise'],
        severities=[1, 3],
        classes=classes)
    assert dataset.metainfo['groups'] == ('fog/1', 'fog/3',
                                          'gaussian_noise/1',
                                          'gaussian_noise/3')
    assert len(dataset) == 24
    info = dataset.get_data_info(7)
    assert (info['corruption'], info['severity'], info['group_label'],
            info['gt_label']) == ('fog', 3, 1, 0)
    one = ImageNetC(str(root), corruptions='fog', severities=3,
                    classes=classes)
    assert len(one) == 6
    with pytest.raises(FileNotFoundError, match='weather.tar'):
        ImageNetC(str(root), corruptions='snow', classes=classes)
    with pytest.raises(ValueError, match='Unknown corruptions'):
        ImageNetC(str(root), corruptions='rain', classes=classes)


def test_cifar10_official_batches(tmp_path, monkeypatch):
    write_cifar10(str(tmp_path))
    # The md5 sums of the real batches cannot match a fixture.
    monkeypatch.setattr(CIFAR10, '_check_integrity', lambda self: True)
    train = CIFAR10(str(tmp_path), split='train')
    assert len(train) == 20 and len(train.CLASSES) == 10
    assert train.get_data_info(0)['img'].shape == (32, 32, 3)


def test_folder_per_class_with_stratified_kfold(tmp_path):
    root = write_folders(
        str(tmp_path / 'wood'), wnids=('oak', 'pine'), per_class=5)
    write_folders(str(tmp_path / 'wood'), wnids=('teak', ), per_class=10)
    dataset = dict(type='CustomDataset', data_root=root)
    assert len(DATASETS.build(dataset)) == 20
    _check_stratified(dataset, [5, 5, 10], num_splits=5)


# ---------------------------------------------------------------- k-fold


def _check_stratified(dataset, per_class, num_splits):
    seen = []
    for fold in range(num_splits):
        val = StratifiedKFoldDataset(
            dataset, fold=fold, num_splits=num_splits, test_mode=True)
        train = StratifiedKFoldDataset(
            dataset, fold=fold, num_splits=num_splits)
        assert len(val) + len(train) == sum(per_class)
        assert not set(val._ori_indices) & set(train._ori_indices)
        counts = np.bincount(val.get_gt_labels(), minlength=len(per_class))
        expected = np.array(per_class) / num_splits
        assert np.all(np.abs(counts - expected) < 1), counts
        seen += val._ori_indices
    assert sorted(seen) == list(range(sum(per_class)))


def test_stratified_folds_keep_class_shares(data):
    labels = [0] * 10 + [1] * 5 + [2] * 3
    folds = stratified_fold_indices(labels, 3, seed=0)
    assert sorted(sum(folds, [])) == list(range(18))
    assert [len(f) for f in folds] == [6, 6, 6]
    assert stratified_fold_indices(labels, 3, 0) == folds
    assert stratified_fold_indices(labels, 3, 1) != folds
    # On a class-sorted list MMPretrain's contiguous folds miss classes.
    pets = dict(type='OxfordIIITPetWithMasks', data_root=data['pets'],
                val_fraction=None)
    plain = KFoldDataset(pets, fold=0, num_splits=3, test_mode=True)
    assert set(plain.get_gt_labels()) == {0}
    _check_stratified(pets, [3, 3, 3], num_splits=3)
    with pytest.raises(ValueError, match='fold'):
        StratifiedKFoldDataset(pets, fold=3, num_splits=3)


def _kfold_tool():
    from tools import kfold_cross_valid
    return kfold_cross_valid


def test_kfold_tool_writes_stratified_fold_configs(data, tmp_path, capsys):
    tool = _kfold_tool()
    cfg = tmp_path / 'pets.py'
    cfg.write_text(
        f"_base_ = ['{ROOT}/configs/standard/resnet18_pets.py']\n"
        f"train_dataloader = dict(dataset=dict(data_root='{data['pets']}'))\n"
        'kfold = dict(num_splits=3, seed=1)\n')
    work = tmp_path / 'work'
    tool.main([str(cfg), '--work-dir', str(work), '--dry-run', '--', '--amp'])
    printed = capsys.readouterr().out
    assert printed.count('tools/train.py') == 3 and '--amp' in printed
    seen = []
    for fold in range(3):
        fold_cfg = Config.fromfile(str(work / f'fold{fold}' / 'config.py'))
        assert 'kfold' not in fold_cfg
        train = DATASETS.build(fold_cfg.train_dataloader.dataset)
        val = DATASETS.build(fold_cfg.val_dataloader.dataset)
        assert isinstance(val, StratifiedKFoldDataset)
        assert (val.seed, val.num_splits, val.fold) == (1, 3, fold)
        assert fold_cfg.val_dataloader.dataset.dataset.pipeline[2][
            'type'] == 'MaskedResizeEdge'
        assert sorted(np.bincount(val.get_gt_labels())) == [1, 1, 1]
        assert not set(train._ori_indices) & set(val._ori_indices)
        seen += val._ori_indices
    assert sorted(seen) == list(range(9))


def test_kfold_tool_summary(tmp_path):
    tool = _kfold_tool()
    cfg = tmp_path / 'c.py'
    cfg.write_text(
        f"_base_ = ['{ROOT}/configs/standard/resnet18_pets.py']\n")
    for fold, values in enumerate([(50.0, 80.0), (82.0, ), (84.0, )]):
        log = tmp_path / 'w' / f'fold{fold}' / '20240101_000000' / 'vis_data'
        log.mkdir(parents=True)
        lines = [dict(lr=0.1, loss=1.0, step=1)]
        lines += [{'accuracy/top1': v, 'step': i} for i, v in
                  enumerate(values)]
        (log / 'scalars.json').write_text('\n'.join(map(json.dumps, lines)))
    summary = tool.main([
        str(cfg), '--work-dir',
        str(tmp_path / 'w'), '--num-splits', '3', '--summarize'
    ])
    assert summary['folds'] == {'0': 80.0, '1': 82.0, '2': 84.0}
    assert summary['mean'] == pytest.approx(82.0)
    assert summary['std'] == pytest.approx(2.0)
    assert json.load(open(tmp_path / 'w' / 'kfold_summary.json'))['std'] == (
        pytest.approx(2.0))


# ------------------------------------------- whole pipelines: alignment

PIPELINE_CONFIGS = dict(
    cub='configs/_base_/datasets/cub_bs32_224.py',
    pets='configs/_base_/datasets/oxford_pets_bs32_224.py',
    waterbirds='configs/_base_/datasets/waterbirds_bs32_224.py',
    coco='configs/_base_/datasets/coco_single_bs32_224.py')


def _pipeline(name, which):
    cfg = Config.fromfile(osp.join(ROOT, PIPELINE_CONFIGS[name]))
    return cfg[f'{which}_pipeline']


def _dataset(name, data, pipeline):
    if name == 'cub':
        return CUBWithMasks(data['cub'], pipeline=pipeline)
    if name == 'pets':
        return OxfordIIITPetWithMasks(data['pets'], pipeline=pipeline)
    if name == 'waterbirds':
        return Waterbirds(
            data['waterbirds'],
            seg_root=osp.join(data['cub'], 'segmentations'),
            pipeline=pipeline)
    return COCOSingleObject(data['coco'], pipeline=pipeline)


@pytest.mark.parametrize('which', ['train', 'test'])
@pytest.mark.parametrize('name', list(PIPELINE_CONFIGS))
def test_config_pipelines_keep_masks_aligned(name, which, data):
    dataset = _dataset(name, data, _pipeline(name, which))
    shares = []
    for repeat in range(3):
        np.random.seed(repeat)
        for i in range(len(dataset)):
            sample = dataset[i]
            inputs = sample['inputs'].numpy()
            mask = packed_mask(sample)
            assert inputs.shape[1:] == mask.shape == (224, 224)
            shares.append(agreement(inputs, mask))
    ALIGNMENT[f'{name}/{which}'] = (float(np.mean(shares)),
                                    float(np.min(shares)))
    assert min(shares) >= 0.99, shares


def test_zz_report_alignment():
    """Prints the measured agreement (run with ``-s`` to see it)."""
    for key, (mean, low) in sorted(ALIGNMENT.items()):
        print(f'\nimage/mask agreement {key}: mean {mean:.5f}, '
              f'min {low:.5f}')
