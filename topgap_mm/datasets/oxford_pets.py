"""Oxford-IIIT Pet with the object masks of its trimaps."""
import os.path as osp
from typing import List, Optional

from mmengine import list_from_file

from mmpretrain.datasets import OxfordIIITPet
from mmpretrain.registry import DATASETS
from .held_out import VAL_FRACTION, VAL_SEED, HeldOutValMixin
from .transforms.loading import check_exists, check_listed_files

PET_IMAGES = '"images.tar.gz" of Oxford-IIIT Pet (unpacked to `images/`)'
PET_ANNOTATIONS = ('"annotations.tar.gz" of Oxford-IIIT Pet (unpacked to '
                   '`annotations/`)')


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

        Returns:
            list[dict]: ``img_path``, ``gt_label``, ``mask_path`` and
            ``mask_convention``.
        """
        num_classes = len(self.CLASSES)
        trimap_dir = osp.join(osp.dirname(self.ann_file), 'trimaps')
        data_list = []
        for line in list_from_file(self.ann_file):
            if not line.strip() or line.startswith('#'):
                continue
            name, class_id = line.split()[:2]
            label = int(class_id) - 1
            if not 0 <= label < num_classes:
                raise ValueError(
                    f'{self.ann_file}: class id {class_id} of {name!r} is '
                    f'outside 1..{num_classes}.')
            data_list.append(
                dict(
                    img_path=osp.join(self.img_prefix, f'{name}.jpg'),
                    gt_label=label,
                    mask_path=osp.join(trimap_dir, f'{name}.png'),
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
