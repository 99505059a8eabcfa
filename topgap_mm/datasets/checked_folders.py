"""MMPretrain's list-and-folder datasets with every annotation line checked.

``CustomDataset`` (and ``ImageNet``, which reads it) turns each line
``<image path> <label>`` into a sample without a check: a label past the
class count stops training with a bare ``IndexError`` in the loss (or,
with a head larger than the class list, trains on it), a path climbing out
of the image folder is read, an image listed twice counts twice, and one
listed for both training and validation is validated on what was trained.
The classes here read the same samples and stop at such a line with the
file, the line and what it should be.
"""
import os.path as osp
from typing import Callable, Dict, List, Optional, Tuple

from mmengine import fileio, list_from_file

from mmpretrain.datasets import CustomDataset, ImageNet
from mmpretrain.datasets.custom import find_folders
from mmpretrain.registry import DATASETS
from ..utils.files import check_exists
from .file_checks import (check_label, check_listed_once,
                          check_splits_disjoint, path_inside)

IMAGENET_ARCHIVE = ('"ILSVRC2012_img_train.tar" and "ILSVRC2012_img_val.tar" '
                    'of ImageNet-1k (unpacked to `train/<wnid>/` and `val/`; '
                    '`mim download mmpretrain --dataset imagenet1k` prepares '
                    'them with `meta/`)')
IMAGENET_META = ('"caffe_ilsvrc12.tar.gz" (https://download.openmmlab.com/'
                 'mmclassification/datasets/imagenet/meta/'
                 'caffe_ilsvrc12.tar.gz, unpacked to `meta/`)')
#: The ImageNet splits whose lists label their images.
IMAGENET_LABELLED_SPLITS = ('train', 'val')

#: Image key -> (image path, label or None, line number).
ImageList = Dict[str, Tuple[str, Optional[int], int]]


def read_image_list(path: str, img_prefix: str, num_classes: Optional[int],
                    with_label: bool, image_key: Callable[[str],
                                                          str]) -> ImageList:
    """Read an annotation file of ``CustomDataset``, checking every line.

    Args:
        path (str): The file, lines ``<image path> <label>`` (labels from
            0), or ``<image path>`` without labels. The path may hold
            spaces; the label is the last field.
        img_prefix (str): The folder the listed paths are relative to.
        num_classes (int, optional): The number of classes; None when the
            dataset has no class list, and then any label from 0 is taken,
            as MMPretrain takes it.
        with_label (bool): Whether the lines end with a label.
        image_key (Callable[[str], str]): What identifies an image, from
            its listed path; two lines with one key list one image twice.

    Returns:
        dict: Image key -> (image path, label or None, line number), in
        file order.

    Raises:
        ValueError: If a line has another form, its path leads out of
            ``img_prefix``, its label is outside the classes or its image
            is listed before.
    """
    label_form = '<label>' if num_classes is None else (
        f'<label 0-{num_classes - 1}>')
    entries: ImageList = {}
    seen: Dict[str, str] = {}
    for num, line in enumerate(list_from_file(path), 1):
        if not line.strip():
            continue
        where = f'{path}, line {num}'
        rel_path, label = line.strip(), None
        if with_label:
            fields = rel_path.rsplit(maxsplit=1)
            if len(fields) != 2 or not fields[1].isdigit():
                raise ValueError(f'{where}: expected "<image path> '
                                 f'{label_form}", got {line!r}.')
            rel_path, label = fields[0], int(fields[1])
        img_path = path_inside(img_prefix, rel_path, where)
        key = image_key(rel_path)
        check_listed_once(seen, repr(key), f'on line {num}', where)
        if label is not None and num_classes is not None:
            check_label(label, num_classes, rel_path, where)
        entries[key] = (img_path, label, num)
    return entries


class CheckedListMixin:
    """Checks the annotation file of a ``CustomDataset`` line by line.

    Mixed in before :class:`mmpretrain.datasets.CustomDataset` or a
    subclass; the samples are the parent's, in its order. Without an
    annotation file the parent reads the class folders as before.
    """

    def _image_key(self, rel_path: str) -> str:
        """What identifies an image: its listed path, normalised, since all
        lines of one file are relative to the one image folder."""
        return osp.normpath(rel_path)

    def _split_lists(self) -> Dict[str, str]:
        """The annotation files of the official splits -> their image
        folders, in split order; an image may be in one of them only.

        A plain ``CustomDataset`` has no official splits: only its own
        file.
        """
        return {self.ann_file: self.img_prefix}

    def load_data_list(self) -> List[dict]:
        """Load the image paths and labels of the annotation file.

        Returns:
            list[dict]: ``img_path`` and, with labels, ``gt_label``.
        """
        if not self.ann_file:
            return super().load_data_list()
        num_classes = None if self.CLASSES is None else len(self.CLASSES)
        lists = {
            path: read_image_list(path, prefix, num_classes,
                                  self.with_label, self._image_key)
            for path, prefix in self._split_lists().items()
        }
        check_splits_disjoint({
            path: {key: num for key, (_, _, num) in entries.items()}
            for path, entries in lists.items()
        })
        data_list = []
        for img_path, label, _ in lists[self.ann_file].values():
            info = dict(img_path=img_path)
            if self.with_label:
                info['gt_label'] = label
            data_list.append(info)
        return data_list


@DATASETS.register_module()
class CheckedCustomDataset(CheckedListMixin, CustomDataset):
    """:class:`mmpretrain.datasets.CustomDataset` with its annotation file
    checked line by line (:func:`read_image_list`).

    Args:
        **kwargs: The arguments of :class:`mmpretrain.datasets.CustomDataset`.
    """


# A name of its own, as `CUBWithMasks`: `type='ImageNet'` stays MMPretrain's
# class; this one reads the same samples and checks them.
@DATASETS.register_module()
class CheckedImageNet(CheckedListMixin, ImageNet):
    """:class:`mmpretrain.datasets.ImageNet` with ``meta/train.txt`` and
    ``meta/val.txt`` checked line by line.

    Layout, as ``mim download mmpretrain --dataset imagenet1k`` prepares
    it::

        imagenet
        ├── train/<wnid>/<wnid>_<n>.JPEG
        ├── val/ILSVRC2012_val_<n>.JPEG
        └── meta
            ├── train.txt      n01440764/n01440764_10026.JPEG 0
            └── val.txt        ILSVRC2012_val_00000001.JPEG 65

    Besides the checks of :func:`read_image_list`, the ``train`` and
    ``val`` lists may share no image. ImageNet's file names are unique
    across its splits, so an image is known by its file name: a training
    image copied into ``val/`` is found as well. A ``val/`` of loose images
    is labelled by ``meta/val.txt`` only; without the list MMPretrain would
    look for class folders in it and report none.

    Args:
        data_root (str): The ``imagenet`` folder. Defaults to ''.
        split (str): ``'train'``, ``'val'``, ``'test'`` or ``''``.
            Defaults to ``''``.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.ImageNet`.
    """

    def __init__(self, data_root: str = '', split: str = '', **kwargs):
        if data_root:
            check_exists(data_root, IMAGENET_ARCHIVE, 'ImageNet data_root')
        self.split = split
        super().__init__(data_root=data_root, split=split, **kwargs)

    def _image_key(self, rel_path: str) -> str:
        return osp.basename(rel_path)

    def _split_lists(self) -> Dict[str, str]:
        if self.split not in IMAGENET_LABELLED_SPLITS:
            return super()._split_lists()
        lists = {}
        for split in IMAGENET_LABELLED_SPLITS:
            path = osp.join(self.data_root, 'meta', f'{split}.txt')
            if split == self.split:
                lists[self.ann_file] = self.img_prefix
            elif fileio.exists(path):
                lists[path] = osp.join(self.data_root, split)
        return lists

    def load_data_list(self) -> List[dict]:
        """Load the image paths and labels of the split.

        Returns:
            list[dict]: ``img_path`` and, but for ``'test'``, ``gt_label``.
        """
        if not self.ann_file and self.with_label:
            check_exists(self.img_prefix, IMAGENET_ARCHIVE, 'ImageNet folder')
            if not find_folders(self.img_prefix)[0]:
                check_exists(
                    osp.join(self.data_root, 'meta', f'{self.split}.txt'),
                    IMAGENET_META)
        return super().load_data_list()
