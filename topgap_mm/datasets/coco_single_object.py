"""The COCO single-object classification subset of the Top-GAP paper."""
import json
import os.path as osp
from typing import Dict, List, Optional

from mmengine.logging import MMLogger

from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS
from ..utils.files import check_exists
from .file_checks import (check_label, check_listed_files, check_listed_once,
                          path_inside)
from .held_out import VAL_FRACTION, VAL_SEED, HeldOutValMixin
from .object_boxes import boxes_from_xywh

CONVERTER = ('the converter `python tools/dataset_converters/'
             'coco_single_object.py {data_root} --splits {split}` (run once '
             'on the official COCO annotations)')
COCO_IMAGES = 'the COCO image archive "{split}.zip" (unpacked to `{split}/`)'


@DATASETS.register_module()
class COCOSingleObject(HeldOutValMixin, BaseDataset):
    """COCO images with exactly one object, classified by that object.

    Reads what ``tools/dataset_converters/coco_single_object.py`` wrote
    from the official ``instances_<split>.json`` (see there for the
    selection: one object per image, classes with at least 20 images)::

        coco
        ├── annotations/single_object_<split>.json   (converter)
        ├── single_object_masks/<split>/<id>.png     (converter, 1 / 0)
        └── <split>/<file name>.jpg                  (<split>.zip)

    Each data info holds ``mask_path`` and ``mask_convention='binary'``
    for ``LoadObjectMask``, and ``object_boxes`` ((1, 4) float32 ``(x0,
    y0, x1, y1)``, the annotation's ``bbox`` ``[x, y, w, h]`` of the same
    object with ``x1 = x + w``) and ``box_file`` for ``LoadObjectBoxes``.
    A file written by an older converter, without boxes, still loads: its
    samples have no boxes, and a warning says to re-run the converter.

    COCO's own ``val2017`` is the test split here (its test images have no
    public annotations), so choices need a split of their own:
    ``split='val'`` holds out ``val_fraction`` of every class of
    ``train_split`` (stratified, seeded by ``val_seed``) and
    ``split=train_split`` is the rest (:mod:`topgap_mm.datasets.held_out`).

    Args:
        data_root (str): The COCO folder.
        split (str): The COCO split, e.g. ``'train2017'`` or
            ``'val2017'``, or ``'val'``. Defaults to ``'train2017'``.
        train_split (str): The training split that ``'val'`` is held out
            of. Defaults to ``'train2017'``.
        val_fraction (float, optional): Share of every class of
            ``train_split`` held out as ``'val'``; None keeps it whole.
            Defaults to 0.1.
        val_seed (int): Seed of the held-out draw. Defaults to 0.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`.
    """

    def __init__(self,
                 data_root: str,
                 split: str = 'train2017',
                 train_split: str = 'train2017',
                 val_fraction: Optional[float] = VAL_FRACTION,
                 val_seed: int = VAL_SEED,
                 **kwargs):
        split = self._held_out_split(split, train_split, val_fraction,
                                     val_seed)
        converter = CONVERTER.format(data_root=data_root, split=split)
        check_exists(data_root, converter, 'COCO data_root')
        ann_file = osp.join('annotations', f'single_object_{split}.json')
        check_exists(osp.join(data_root, ann_file), converter)
        check_exists(
            osp.join(data_root, split), COCO_IMAGES.format(split=split),
            'Image folder')
        self.split = split
        with open(osp.join(data_root, ann_file)) as f:
            self._annotation = json.load(f)
        kwargs.setdefault('classes', self._annotation['classes'])
        # Relative to `data_root`: MMEngine joins the two, so a relative
        # root joined here as well would be taken twice.
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            test_mode=not split.startswith('train'),
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Load the images, labels, mask paths and boxes of the split.

        Returns:
            list[dict]: ``img_path``, ``gt_label``, ``mask_path``,
            ``mask_convention`` and, unless the converter predates boxes,
            ``object_boxes`` and ``box_file``.
        """
        num_classes = len(self.CLASSES)
        samples = self._annotation['samples']
        with_box = self._has_boxes(samples)
        data_list = []
        seen: Dict[str, str] = {}
        for index, sample in enumerate(samples):
            where = f'{self.ann_file}, sample {index}'
            img_path = path_inside(self.data_root, sample['img'], where)
            mask_path = path_inside(self.data_root, sample['mask'], where)
            label = check_label(sample['label'], num_classes, sample['img'],
                                where)
            check_listed_once(seen, repr(sample['img']), f'as sample {index}',
                              where)
            info = dict(
                img_path=img_path,
                gt_label=label,
                mask_path=mask_path,
                mask_convention='binary')
            if with_box:
                info['object_boxes'] = boxes_from_xywh(
                    [sample['bbox']],
                    f'{where}: bbox of {sample["img"]!r}')
                info['box_file'] = self.ann_file
            data_list.append(info)
        data_list = self._held_out_part(data_list)
        check_listed_files(
            data_list, {
                'img_path': COCO_IMAGES.format(split=self.split),
                'mask_path': CONVERTER.format(
                    data_root=self.data_root, split=self.split)
            }, self.ann_file)
        return data_list

    def _has_boxes(self, samples: List[dict]) -> bool:
        """Whether the converter wrote a ``bbox`` for every sample."""
        without = [s['img'] for s in samples if 'bbox' not in s]
        if not without:
            return True
        converter = CONVERTER.format(data_root=self.data_root,
                                     split=self.split)
        if len(without) < len(samples):
            raise ValueError(
                f'{self.ann_file}: {len(without)} of the {len(samples)} '
                f'samples have no `bbox`, e.g. {without[0]!r}; every sample '
                f'needs one. Re-run {converter}.')
        MMLogger.get_current_instance().warning(
            f'{self.ann_file} has no object boxes (written by an older '
            f'converter), so box-based metrics cannot run. Re-run '
            f'{converter} to add them.')
        return False

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        return [
            f'Root of dataset: \t{self.data_root}', f'Split: \t{self.split}'
        ] + self._held_out_repr()
