"""Waterbirds (Sagawa et al., 2020): CUB birds on Places backgrounds."""
import csv
import os.path as osp
from typing import Dict, List, Optional

from mmpretrain.datasets import BaseDataset
from mmpretrain.datasets.categories import CUB_CATEGORIES
from mmpretrain.registry import DATASETS
from ..utils.files import check_exists
from .cub_masks import CUB_SEG_ARCHIVE, cub_mask_path
from .file_checks import check_listed_files, check_listed_once, path_inside

WATERBIRDS_ARCHIVE = ('"waterbird_complete95_forest2water2.tar.gz" of the '
                      'group DRO release (unpacked to '
                      '`waterbird_complete95_forest2water2/`)')
ANN_FILE = 'metadata.csv'
SPLITS = {'train': '0', 'val': '1', 'test': '2'}
BIRDS = ('landbird', 'waterbird')
PLACES = ('land', 'water')
#: Group ``2 * y + place``, the group DRO code's numbering.
GROUPS = tuple(f'{bird}_on_{place}' for bird in BIRDS for place in PLACES)
#: Group sizes of the training split; the group DRO paper weights the test
#: group accuracies by them for its "average accuracy".
TRAIN_GROUP_COUNTS = (3498, 184, 56, 1057)


@DATASETS.register_module()
class Waterbirds(BaseDataset):
    """Waterbirds, read from its ``metadata.csv``.

    Layout of the official release::

        waterbird_complete95_forest2water2
        ├── metadata.csv   img_id,img_filename,y,split,place,place_filename
        └── <CUB class folder>/<CUB image name>.jpg

    ``y`` is 0 landbird / 1 waterbird, ``place`` 0 land / 1 water and
    ``split`` 0 train / 1 val / 2 test. Each data info holds ``group_label``
    (``2 * y + place``, names in ``metainfo['groups']``) for
    ``GroupAccuracy``; add it to the packing transform's ``meta_keys``.

    The images keep the size of the CUB originals and the birds their
    place, so CUB's masks (``segmentations.tgz``) are the Waterbirds masks.

    Args:
        data_root (str): The ``waterbird_complete95_forest2water2`` folder.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        label (str): ``'y'`` for the 2 classes landbird / waterbird, or
            ``'species'`` for the 200 CUB classes (train on CUB, test on
            Waterbirds, the paper's Table 5). Defaults to ``'y'``.
        seg_root (str, optional): The unpacked CUB ``segmentations`` folder;
            None gives no masks. Defaults to None.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`.
    """

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 label: str = 'y',
                 seg_root: Optional[str] = None,
                 **kwargs):
        if split not in SPLITS:
            raise ValueError(
                f'split must be one of {list(SPLITS)}, got {split!r}.')
        if label not in ('y', 'species'):
            raise ValueError(f"label must be 'y' or 'species', got {label!r}.")
        check_exists(data_root, WATERBIRDS_ARCHIVE, 'Waterbirds data_root')
        check_exists(osp.join(data_root, ANN_FILE), WATERBIRDS_ARCHIVE)
        if seg_root is not None:
            check_exists(seg_root, CUB_SEG_ARCHIVE, 'CUB segmentations folder')
        self.split = split
        self.label = label
        self.seg_root = seg_root
        classes = BIRDS if label == 'y' else CUB_CATEGORIES
        kwargs.setdefault('classes', classes)
        metainfo = dict(groups=GROUPS, **kwargs.pop('metainfo', None) or {})
        # Relative to `data_root`: MMEngine joins the two, so a relative
        # root joined here as well would be taken twice.
        super().__init__(
            ann_file=ANN_FILE,
            data_root=data_root,
            metainfo=metainfo,
            test_mode=split != 'train',
            **kwargs)

    @staticmethod
    def _check(row: dict, key: str, num: int, where: str) -> int:
        value = row[key]
        if not value.isdigit() or not 0 <= int(value) < num:
            raise ValueError(f'{where}: {key}={value} of '
                             f'{row["img_filename"]!r} is outside '
                             f'0..{num - 1}.')
        return int(value)

    def load_data_list(self) -> List[dict]:
        """Load the images, labels, groups and mask paths of the split.

        Every row is checked, whichever split it belongs to, and an image
        may have one row only: under two split values it would be both
        trained and tested on.

        Returns:
            list[dict]: ``img_path``, ``gt_label``, ``group_label`` and, with
            ``seg_root``, ``mask_path`` and ``mask_convention``.
        """
        with open(self.ann_file, newline='') as f:
            reader = csv.DictReader(f)
            rows = [(reader.line_num, row) for row in reader]
        missing = {'img_filename', 'y', 'split', 'place'} - set(
            reader.fieldnames or ())
        if missing:
            raise ValueError(f'{self.ann_file} lacks the columns '
                             f'{sorted(missing)}.')
        num_classes = len(self.CLASSES)
        seen: Dict[str, str] = {}
        data_list = []
        for num, row in rows:
            where = f'{self.ann_file}, line {num}'
            rel_path = row['img_filename']
            img_path = path_inside(self.data_root, rel_path, where)
            check_listed_once(seen, repr(rel_path), f'on line {num}', where)
            if row['split'] not in SPLITS.values():
                raise ValueError(f'{where}: split={row["split"]!r} of '
                                 f'{rel_path!r} is not 0/1/2.')
            y = self._check(row, 'y', len(BIRDS), where)
            place = self._check(row, 'place', len(PLACES), where)
            if self.label == 'y':
                gt_label = y
            else:
                # `001.Black_footed_Albatross/...`: the CUB class id.
                class_id = rel_path.split('.', 1)[0]
                if not class_id.isdigit() or not 1 <= int(
                        class_id) <= num_classes:
                    raise ValueError(
                        f'{where}: the CUB class of {rel_path!r} is outside '
                        f'1..{num_classes}.')
                gt_label = int(class_id) - 1
            if row['split'] != SPLITS[self.split]:
                continue
            info = dict(
                img_path=img_path,
                gt_label=gt_label,
                group_label=2 * y + place)
            if self.seg_root is not None:
                info['mask_path'] = cub_mask_path(self.seg_root, rel_path)
                info['mask_convention'] = 'cub'
            data_list.append(info)
        check_listed_files(data_list, {
            'img_path': WATERBIRDS_ARCHIVE,
            'mask_path': CUB_SEG_ARCHIVE
        }, self.ann_file)
        return data_list

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        return [
            f'Root of dataset: \t{self.data_root}', f'Split: \t{self.split}',
            f'Label: \t{self.label}', f'Object masks: \t{self.seg_root}'
        ]
