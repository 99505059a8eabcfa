"""The COCO single-object classification subset of the Top-GAP paper."""
import json
import os.path as osp
from typing import List

from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS
from .transforms.loading import check_exists

CONVERTER = ('the converter `python tools/dataset_converters/'
             'coco_single_object.py {data_root} --splits {split}` (run once '
             'on the official COCO annotations)')
COCO_IMAGES = 'the COCO image archive "{split}.zip" (unpacked to `{split}/`)'


@DATASETS.register_module()
class COCOSingleObject(BaseDataset):
    """COCO images with exactly one object, classified by that object.

    Reads what ``tools/dataset_converters/coco_single_object.py`` wrote
    from the official ``instances_<split>.json`` (see there for the
    selection: one object per image, classes with at least 20 images)::

        coco
        ├── annotations/single_object_<split>.json   (converter)
        ├── single_object_masks/<split>/<id>.png     (converter, 1 / 0)
        └── <split>/<file name>.jpg                  (<split>.zip)

    Each data info holds ``mask_path`` and ``mask_convention='binary'``
    for ``LoadObjectMask``.

    Args:
        data_root (str): The COCO folder.
        split (str): The COCO split, e.g. ``'train2017'`` or
            ``'val2017'``. Defaults to ``'train2017'``.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`.
    """

    def __init__(self, data_root: str, split: str = 'train2017', **kwargs):
        converter = CONVERTER.format(data_root=data_root, split=split)
        check_exists(data_root, converter, 'COCO data_root')
        ann_file = check_exists(
            osp.join(data_root, 'annotations', f'single_object_{split}.json'),
            converter)
        check_exists(
            osp.join(data_root, split), COCO_IMAGES.format(split=split),
            'Image folder')
        self.split = split
        with open(ann_file) as f:
            self._annotation = json.load(f)
        kwargs.setdefault('classes', self._annotation['classes'])
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            test_mode=not split.startswith('train'),
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Load the images, labels and mask paths of the split.

        Returns:
            list[dict]: ``img_path``, ``gt_label``, ``mask_path`` and
            ``mask_convention``.
        """
        num_classes = len(self.CLASSES)
        data_list = []
        for sample in self._annotation['samples']:
            if not 0 <= sample['label'] < num_classes:
                raise ValueError(
                    f'{self.ann_file}: label {sample["label"]} of '
                    f'{sample["img"]!r} is outside the {num_classes} '
                    f'classes.')
            data_list.append(
                dict(
                    img_path=osp.join(self.data_root, sample['img']),
                    gt_label=sample['label'],
                    mask_path=osp.join(self.data_root, sample['mask']),
                    mask_convention='binary'))
        return data_list

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        return [
            f'Root of dataset: \t{self.data_root}', f'Split: \t{self.split}'
        ]
