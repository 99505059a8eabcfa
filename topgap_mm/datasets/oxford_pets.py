"""Oxford-IIIT Pet with the object masks of its trimaps."""
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmengine import list_from_file

from mmpretrain.datasets import OxfordIIITPet
from mmpretrain.registry import DATASETS
from ..utils.files import check_exists
from .file_checks import (check_listed_files, check_listed_once,
                          check_splits_disjoint, path_inside)
from .held_out import VAL_FRACTION, VAL_SEED, HeldOutValMixin

PET_IMAGES = '"images.tar.gz" of Oxford-IIIT Pet (unpacked to `images/`)'
PET_ANNOTATIONS = ('"annotations.tar.gz" of Oxford-IIIT Pet (unpacked to '
                   '`annotations/`)')


def read_pet_list(path: str, num_classes: int) -> Dict[str, Tuple[int, int]]:
    """Read ``trainval.txt`` or ``test.txt`` of Oxford-IIIT Pet.

    Args:
        path (str): The list, lines ``<image> <class id> <species> <breed
            id>`` (class ids from 1); ``#`` starts a comment line.
        num_classes (int): The number of classes.

    Returns:
        dict: Image name -> (label from 0, line number), in file order.

    Raises:
        ValueError: If a line has another form, a class id is outside
            ``1..num_classes`` or an image is listed twice.
    """
    entries: Dict[str, Tuple[int, int]] = {}
    seen: Dict[str, str] = {}
    for num, line in enumerate(list_from_file(path), 1):
        if not line.strip() or line.startswith('#'):
            continue
        where = f'{path}, line {num}'
        fields = line.split()
        if len(fields) != 4 or not fields[1].isdigit():
            raise ValueError(
                f'{where}: expected "<image> <class id 1-{num_classes}> '
                f'<species> <breed id>", got {line!r}.')
        name, class_id = fields[:2]
        if not 1 <= int(class_id) <= num_classes:
            raise ValueError(f'{where}: class id {class_id} of {name!r} is '
                             f'outside 1..{num_classes}.')
        check_listed_once(seen, repr(name), f'on line {num}', where)
        entries[name] = (int(class_id) - 1, num)
    return entries


# A name of its own, as `CUBWithMasks`: `type='OxfordIIITPet'` stays
# MMPretrain's class; this one reads the same samples and adds the trimaps.
@DATASETS.register_module()
class OxfordIIITPetWithMasks(HeldOutValMixin, OxfordIIITPet):
    """Oxford-IIIT Pet (37 breeds), with the trimaps as object masks.

    Extends :class:`mmpretrain.datasets.OxfordIIITPet`. Layout of the two
    official archives::

        Oxford-IIIT_Pets
        ├── images/<Breed_name>_<n>.jpg            (images.tar.gz)
        └── annotations                            (annotations.tar.gz)
            ├── trainval.txt     Abyssinian_100 1 1 1   (image, class 1-37,
            ├── test.txt                                 species, breed id)
            └── trimaps/<Breed_name>_<n>.png     1 pet, 2 background,
                                                 3 border (unknown)

    Each data info holds ``mask_path`` and ``mask_convention='pet_trimap'``;
    ``LoadObjectMask`` maps 1 to object (1), 2 to background (0) and 3 to
    ignore (255): the border band is neither pet nor background and never
    counts as background.

    Pet has no validation split of its own: ``split='val'`` holds out
    ``val_fraction`` of every breed of ``trainval`` (stratified, seeded by
    ``val_seed``) and ``split='trainval'`` is the rest
    (:mod:`topgap_mm.datasets.held_out`); ``val_fraction=None`` gives the
    official ``trainval`` whole.

    Args:
        data_root (str): The folder holding ``images/`` and ``annotations/``.
        split (str): ``'trainval'``, ``'val'`` or ``'test'``. Defaults to
            ``'trainval'``.
        val_fraction (float, optional): Share of every breed of
            ``trainval`` held out as ``'val'``. Defaults to 0.1.
        val_seed (int): Seed of the held-out draw. Defaults to 0.
        **kwargs: Other arguments of
            :class:`mmpretrain.datasets.OxfordIIITPet`.
    """

    def __init__(self,
                 data_root: str,
                 split: str = 'trainval',
                 val_fraction: Optional[float] = VAL_FRACTION,
                 val_seed: int = VAL_SEED,
                 **kwargs):
        split = self._held_out_split(split, 'trainval', val_fraction,
                                     val_seed)
        check_exists(data_root, f'{PET_IMAGES} and {PET_ANNOTATIONS}',
                     'Oxford-IIIT Pet data_root')
        check_exists(osp.join(data_root, 'images'), PET_IMAGES, 'Folder')
        check_exists(osp.join(data_root, 'annotations', 'trimaps'),
                     PET_ANNOTATIONS, 'Folder')
        check_exists(
            osp.join(data_root, 'annotations', f'{split}.txt'),
            PET_ANNOTATIONS)
        super().__init__(data_root=data_root, split=split, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Load the images, labels and trimap paths of the split.

        Every line is checked, and the split must share no image with the
        other official split: a test image listed in ``trainval.txt`` too
        would be trained on.

        Returns:
            list[dict]: ``img_path``, ``gt_label``, ``mask_path`` and
            ``mask_convention``.
        """
        num_classes = len(self.CLASSES)
        annotations = osp.dirname(self.ann_file)
        trimap_dir = osp.join(annotations, 'trimaps')
        lists = {
            split: read_pet_list(path, num_classes)
            for split, path in ((s, osp.join(annotations, f'{s}.txt'))
                                for s in ('trainval', 'test'))
            if path == self.ann_file or osp.isfile(path)
        }
        check_splits_disjoint({
            osp.join(annotations, f'{split}.txt'):
            {name: num for name, (_, num) in entries.items()}
            for split, entries in lists.items()
        })
        data_list = []
        for name, (label, num) in lists[self.split].items():
            where = f'{self.ann_file}, line {num}'
            data_list.append(
                dict(
                    img_path=path_inside(self.img_prefix, f'{name}.jpg',
                                         where),
                    gt_label=label,
                    mask_path=path_inside(trimap_dir, f'{name}.png', where),
                    mask_convention='pet_trimap'))
        data_list = self._held_out_part(data_list)
        check_listed_files(data_list, {
            'img_path': PET_IMAGES,
            'mask_path': PET_ANNOTATIONS
        }, self.ann_file)
        return data_list

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        return super().extra_repr() + self._held_out_repr()
