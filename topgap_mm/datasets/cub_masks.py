"""CUB-200-2011 with its object boxes and the object masks of its
segmentations archive."""
import os.path as osp
from typing import Container, Dict, List, Optional, Tuple

import numpy as np
from mmengine import fileio, list_from_file
from mmengine.logging import MMLogger

from mmpretrain.datasets import CUB
from mmpretrain.registry import DATASETS
from ..utils.files import check_exists
from .file_checks import check_listed_files, check_listed_once, path_inside
from .held_out import VAL_FRACTION, VAL_SEED, HeldOutValMixin
from .object_boxes import boxes_from_xywh

#: Archive of the images and the text files.
CUB_ARCHIVE = '"CUB_200_2011.tgz" (unpacked to `CUB_200_2011/`)'
#: Separately distributed archive of the masks.
CUB_SEG_ARCHIVE = '"segmentations.tgz" of CUB-200-2011'
#: One line ``<image_id> <x> <y> <width> <height>`` per image of images.txt.
CUB_BOX_LINE = '"<image_id> <x> <y> <width> <height>"'


def cub_mask_path(seg_root: str, img_rel_path: str) -> str:
    """Where ``segmentations.tgz`` keeps the mask of a CUB image.

    Args:
        seg_root (str): The unpacked ``segmentations`` folder.
        img_rel_path (str): The image path below ``images/``, as in
            ``images.txt``: ``<class folder>/<image name>.jpg``.

    Returns:
        str: ``<seg_root>/<class folder>/<image name>.png``.
    """
    return osp.join(seg_root, osp.splitext(img_rel_path)[0] + '.png')


def _parse_box_line(line: str, where: str) -> Tuple[int, List[float]]:
    fields = line.split()
    if len(fields) == 5:
        try:
            return int(fields[0]), [float(v) for v in fields[1:]]
        except ValueError:
            pass
    raise ValueError(f'{where}: expected {CUB_BOX_LINE} (an integer id and '
                     f'four numbers), got {line!r}.')


def read_cub_list(path: str, field: str) -> Dict[int, Tuple[str, int]]:
    """Read one of CUB's ``<image_id> <value>`` lists.

    Args:
        path (str): ``images.txt``, ``image_class_labels.txt`` or
            ``train_test_split.txt``.
        field (str): What the value is, for the messages.

    Returns:
        dict: Image id -> (value, line number), in the order of the file.

    Raises:
        ValueError: If a line is not an integer id and one value, or an id
            is listed twice (MMPretrain's parser keeps the last silently).
    """
    entries: Dict[int, Tuple[str, int]] = {}
    seen: Dict[str, str] = {}
    for num, line in enumerate(list_from_file(path), 1):
        if not line.strip():
            continue
        where = f'{path}, line {num}'
        fields = line.split()
        if len(fields) != 2 or not fields[0].isdigit():
            raise ValueError(f'{where}: expected "<image_id> <{field}>", got '
                             f'{line!r}.')
        check_listed_once(seen, f'image id {fields[0]}', f'on line {num}',
                          where)
        entries[int(fields[0])] = (fields[1], num)
    return entries


def read_cub_boxes(box_file: str, images_file: str) -> Dict[str, np.ndarray]:
    """Read CUB's ``bounding_boxes.txt``: one box for every image.

    Args:
        box_file (str): ``bounding_boxes.txt``, lines ``<image_id> <x> <y>
            <width> <height>`` in pixels of the stored image.
        images_file (str): ``images.txt``, lines ``<image_id> <path>``.

    Returns:
        dict: Image path as in ``images.txt`` -> (1, 4) float32 box
        ``(x0, y0, x1, y1)`` with ``x1 = x + width``, ``y1 = y + height``.

    Raises:
        ValueError: If a line is malformed, a box has a negative size, an
            id is listed twice or is not in ``images.txt``, or an image of
            ``images.txt`` has no box.
    """
    images = {}
    for line in list_from_file(images_file):
        if line.strip():
            image_id, rel_path = line.split()
            images[int(image_id)] = rel_path
    boxes, lines = {}, {}
    for num, line in enumerate(list_from_file(box_file), 1):
        if not line.strip():
            continue
        where = f'{box_file}, line {num}'
        image_id, xywh = _parse_box_line(line, where)
        if image_id not in images:
            raise ValueError(f'{where}: image id {image_id} is not in '
                             f'{images_file}.')
        if image_id in lines:
            raise ValueError(f'{where}: image id {image_id} already has a '
                             f'box on line {lines[image_id]}; expected one '
                             f'line per image.')
        lines[image_id] = num
        boxes[images[image_id]] = boxes_from_xywh(
            [xywh], f'{where} (image {image_id}, {images[image_id]!r})')
    check_every_image(box_file, lines, images, images_file, 'box',
                      CUB_BOX_LINE)
    return boxes


def check_every_image(path: str, listed: Container[int],
                      images: Dict[int, str], images_file: str, what: str,
                      line_form: str) -> None:
    """Raise unless a CUB list has an entry for every image of images.txt.

    Args:
        path (str): The list.
        listed (Container[int]): The image ids it lists.
        images (dict): Image id -> path, of ``images_file``.
        images_file (str): ``images.txt``.
        what (str): What the list gives an image (``'box'``), for the
            message.
        line_form (str): The form of its lines, for the message.

    Raises:
        ValueError: Naming the count and the first image without one.
    """
    missing = [i for i in images if i not in listed]
    if missing:
        raise ValueError(
            f'{path} has no {what} for {len(missing)} of the {len(images)} '
            f'images of {images_file}, e.g. image {missing[0]} '
            f'({images[missing[0]]!r}); expected one line {line_form} per '
            f'image, as {CUB_ARCHIVE} provides it.')


# A name of its own: importing topgap_mm adds to MMPretrain's registry and
# replaces nothing, so `type='CUB'` stays MMPretrain's class everywhere.
@DATASETS.register_module()
class CUBWithMasks(HeldOutValMixin, CUB):
    """CUB-200-2011, with object masks when ``segmentations.tgz`` is unpacked.

    Extends :class:`mmpretrain.datasets.CUB` (see there for the layout of
    ``CUB_200_2011.tgz``). It reads ``images.txt``,
    ``image_class_labels.txt``, ``train_test_split.txt``, ``classes.txt``
    and ``images/``, and, when present, ``bounding_boxes.txt`` and the
    separately distributed segmentations::

        CUB_200_2011
        ├── classes.txt              1 001.Black_footed_Albatross
        ├── images.txt               1 001.Black_footed_Albatross/Black_...jpg
        ├── image_class_labels.txt   1 1
        ├── train_test_split.txt     1 0      (1 train, 0 test)
        ├── bounding_boxes.txt       1 60.0 27.0 325.0 304.0   (x y w h)
        ├── images/<class folder>/<image>.jpg
        └── segmentations/<class folder>/<image>.png   (segmentations.tgz)

    With the segmentations each data info holds ``mask_path`` and
    ``mask_convention='cub'``; ``LoadObjectMask`` reads the grayscale PNG
    (share of annotators) and binarises it at 128, a majority of the five
    annotators. With ``bounding_boxes.txt`` (checked when the dataset is
    built: one well-formed line for every image) each data info holds
    ``object_boxes``, (1, 4) float32 ``(x0, y0, x1, y1)`` with ``x1 = x +
    width``, and ``box_file``; ``LoadObjectBoxes`` turns them into
    ``gt_bboxes``.

    CUB has no validation split: ``split='val'`` holds out ``val_fraction``
    of every class of the official training split (stratified, seeded by
    ``val_seed``) and ``split='train'`` is the rest, so choices made on
    ``val`` never see the test split (:mod:`topgap_mm.datasets.held_out`).
    ``val_fraction=None`` gives the official training split whole, the
    samples of :class:`mmpretrain.datasets.CUB`.

    Args:
        data_root (str): The ``CUB_200_2011`` folder.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        seg_prefix (str): The unpacked ``segmentations`` folder, relative to
            ``data_root`` or absolute. Defaults to ``'segmentations'``.
        with_mask (bool, optional): True requires the masks, False never
            gives them, None gives them when ``seg_prefix`` exists and
            otherwise warns that mask metrics cannot run. Defaults to None.
        val_fraction (float, optional): Share of every class of the
            training split held out as ``'val'``. Defaults to 0.1.
        val_seed (int): Seed of the held-out draw. Defaults to 0.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.CUB`.
    """

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 seg_prefix: str = 'segmentations',
                 with_mask: Optional[bool] = None,
                 val_fraction: Optional[float] = VAL_FRACTION,
                 val_seed: int = VAL_SEED,
                 **kwargs):
        check_exists(data_root, CUB_ARCHIVE, 'CUB-200-2011 data_root')
        for name in ('images.txt', 'image_class_labels.txt',
                     'train_test_split.txt', 'classes.txt'):
            check_exists(osp.join(data_root, name), CUB_ARCHIVE)
        self.seg_root = osp.join(data_root, seg_prefix)
        self.with_mask = self._resolve_with_mask(with_mask)
        self.box_file = osp.join(data_root, 'bounding_boxes.txt')
        if not fileio.exists(self.box_file):
            MMLogger.get_current_instance().warning(
                f'CUB-200-2011: no {self.box_file!r}, so the samples have '
                f'no object boxes and box-based metrics cannot run. It is '
                f'provided by {CUB_ARCHIVE}.')
            self.box_file = None
        class_file = osp.join(data_root, 'classes.txt')
        classes = [
            line.split(maxsplit=1)[1] for line in list_from_file(class_file)
            if line.strip()
        ]
        # `001.Black_footed_Albatross` -> MMPretrain's class name.
        kwargs.setdefault('classes', [c.split('.', 1)[-1] for c in classes])
        split = self._held_out_split(split, 'train', val_fraction, val_seed)
        super().__init__(data_root=data_root, split=split, **kwargs)

    def _resolve_with_mask(self, with_mask: Optional[bool]) -> bool:
        found = fileio.isdir(self.seg_root)
        if with_mask and not found:
            check_exists(self.seg_root, CUB_SEG_ARCHIVE,
                         'CUB segmentations folder')
        if with_mask is None and not found:
            MMLogger.get_current_instance().warning(
                f'CUB-200-2011: no segmentations folder at '
                f'{self.seg_root!r}, so the samples have no object masks '
                f'and mask-based metrics (CAM IoU, attack distance) cannot '
                f'run. Unpack {CUB_SEG_ARCHIVE} there (or set `seg_prefix`) '
                f'to get them.')
        return found if with_mask is None else with_mask

    def load_data_list(self) -> List[dict]:
        """Load the images, labels, boxes and mask paths of the split.

        The three lists are checked line by line: MMPretrain's parser would
        put an image whose ``train_test_split.txt`` value is neither 1 nor
        0 in both splits, keep the last of two lines of one id, and stop
        at an image missing from one list with an assertion naming no id.

        Returns:
            list[dict]: ``img_path``, ``gt_label`` and, with boxes,
            ``object_boxes`` and ``box_file``, with masks, ``mask_path``
            and ``mask_convention``.
        """
        data_list = self._held_out_part(self._read_split())
        boxes = None
        if self.box_file is not None:
            boxes = read_cub_boxes(self.box_file, self.ann_file)
        for info in data_list:
            rel_path = osp.relpath(info['img_path'], self.img_prefix)
            if boxes is not None:
                info['object_boxes'] = boxes[rel_path]
                info['box_file'] = self.box_file
            if self.with_mask:
                info['mask_path'] = cub_mask_path(self.seg_root, rel_path)
                info['mask_convention'] = 'cub'
        check_listed_files(data_list, {
            'img_path': CUB_ARCHIVE,
            'mask_path': CUB_SEG_ARCHIVE
        }, self.ann_file)
        return data_list

    def _read_image_list(self, path: str, field: str,
                         images: Dict[int, str]) -> Dict[int, Tuple[str, int]]:
        """:func:`read_cub_list`, with one line for every image of
        ``images.txt`` and none for another."""
        entries = read_cub_list(path, field)
        check_every_image(path, entries, images, self.ann_file, 'line',
                          f'"<image_id> <{field}>"')
        extra = [i for i in entries if i not in images]
        if extra:
            raise ValueError(f'{path}, line {entries[extra[0]][1]}: image id '
                             f'{extra[0]} is not in {self.ann_file}.')
        return entries

    def _read_split(self) -> List[dict]:
        """``img_path`` and ``gt_label`` of the official split's images, in
        the order of ``images.txt`` (MMPretrain's samples)."""
        images = read_cub_list(self.ann_file, 'path')
        paths = {image_id: path for image_id, (path, _) in images.items()}
        labels, splits = (
            self._read_image_list(path, field, paths)
            for path, field in ((self.image_class_labels_file, 'class_id'),
                                (self.train_test_split_file,
                                 'is_training_image')))
        num_classes = len(self.CLASSES)
        seen: Dict[str, str] = {}
        data_list = []
        for image_id, (rel_path, num) in images.items():
            img_path = path_inside(self.img_prefix, rel_path,
                                   f'{self.ann_file}, line {num}')
            check_listed_once(seen, repr(rel_path), f'on line {num}',
                              f'{self.ann_file}, line {num}')
            value, split_num = splits[image_id]
            if value not in ('0', '1'):
                raise ValueError(
                    f'{self.train_test_split_file}, line {split_num}: '
                    f'is_training_image of image {image_id} ({rel_path!r}) '
                    f'is {value!r}; expected 1 (train) or 0 (test).')
            class_id, label_num = labels[image_id]
            if not class_id.isdigit() or not 1 <= int(
                    class_id) <= num_classes:
                raise ValueError(
                    f'{self.image_class_labels_file}, line {label_num}: '
                    f'class id {class_id} of {rel_path!r} is outside the '
                    f'{num_classes} classes of classes.txt.')
            if (value == '1') == (self.split == 'train'):
                data_list.append(
                    dict(img_path=img_path, gt_label=int(class_id) - 1))
        return data_list

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        masks = self.seg_root if self.with_mask else 'none'
        return super().extra_repr() + self._held_out_repr() + [
            f'Object boxes: \t{self.box_file or "none"}',
            f'Object masks: \t{masks}'
        ]
