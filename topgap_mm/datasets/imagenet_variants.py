"""ImageNet-Sketch and ImageNet-C: ImageNet's classes, shifted images.

Both are folder-per-class (one folder per WordNet id) and label a folder by
its position among the sorted WordNet ids, the order of ImageNet's own
labels; both therefore insist on all the classes being present, since a
missing folder would shift every later label.
"""
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

from mmpretrain.datasets import BaseDataset, CustomDataset
from mmpretrain.datasets.categories import IMAGENET_CATEGORIES
from mmpretrain.datasets.custom import find_folders, get_samples
from mmpretrain.registry import DATASETS
from ..utils.files import check_exists

SKETCH_ARCHIVE = ('"ImageNet-Sketch.zip" (unpacked to `sketch/<wnid>/`, '
                  'e.g. from https://github.com/HaohanWang/ImageNet-Sketch)')
IMAGENET_C_ARCHIVE = ('the ImageNet-C archives "blur.tar", "digital.tar", '
                      '"noise.tar", "weather.tar" (and "extra.tar"), '
                      'unpacked to `<corruption>/<severity>/<wnid>/`')
#: The 15 benchmark corruptions of Hendrycks & Dietterich (2019).
CORRUPTIONS = ('gaussian_noise', 'shot_noise', 'impulse_noise',
               'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
               'snow', 'frost', 'fog', 'brightness', 'contrast',
               'elastic_transform', 'pixelate', 'jpeg_compression')
#: The 4 held-out corruptions of ``extra.tar``.
EXTRA_CORRUPTIONS = ('speckle_noise', 'gaussian_blur', 'spatter',
                     'saturate')
SEVERITIES = (1, 2, 3, 4, 5)
EXTENSIONS = ('.jpeg', '.jpg', '.png')


def class_folder_samples(root: str, num_classes: int, source: str,
                         extensions: Sequence[str]) -> List[Tuple[str, int]]:
    """The images of a folder-per-class root, labelled by sorted folder.

    Args:
        root (str): The folder holding one folder per class.
        num_classes (int): The dataset's class count; the folders must be
            exactly that many.
        source (str): The archive that provides them, for the messages.
        extensions (Sequence[str]): Lower-case endings of image files.

    Returns:
        list[tuple[str, int]]: ``(path below root, label)`` per image.

    Raises:
        ValueError: If the folder count differs from ``num_classes`` or a
            class folder holds no image (MMPretrain only warns, and the
            class then has no sample).
    """
    folder_to_idx = find_folders(root)[1]
    if len(folder_to_idx) != num_classes:
        raise ValueError(
            f'{root!r} holds {len(folder_to_idx)} class folders but the '
            f'dataset has {num_classes} classes; labels follow the sorted '
            f'WordNet ids, so all must be there. Unpack all of {source}.')
    extensions = tuple(extensions)
    samples, empty = get_samples(
        root,
        folder_to_idx,
        is_valid_file=lambda f: f.lower().endswith(extensions))
    if empty:
        more = f', nor do {len(empty) - 1} more' if len(empty) > 1 else ''
        raise ValueError(
            f'The class folder {sorted(empty)[0]!r} under {root!r} holds no '
            f'image ({", ".join(extensions)}){more}. Unpack all of '
            f'{source}.')
    return [(path, int(label)) for path, label in samples]


@DATASETS.register_module()
class ImageNetSketch(CustomDataset):
    """ImageNet-Sketch (Wang et al., 2019): 50,889 sketches of the 1000
    ImageNet classes, in one folder per WordNet id::

        sketch
        └── n01440764/sketch_0.JPEG ...

    Args:
        data_root (str): The ``sketch`` folder.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.CustomDataset`
            (``classes`` replaces the 1000 ImageNet class names).
    """

    METAINFO = {'classes': IMAGENET_CATEGORIES}

    def __init__(self, data_root: str, **kwargs):
        check_exists(data_root, SKETCH_ARCHIVE, 'ImageNet-Sketch data_root')
        kwargs.setdefault('test_mode', True)
        super().__init__(data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Load the images and labels of all class folders."""
        if self.ann_file:
            return super().load_data_list()
        samples = class_folder_samples(self.img_prefix, len(self.CLASSES),
                                       SKETCH_ARCHIVE,
                                       sorted(self.extensions))
        return [
            dict(img_path=osp.join(self.img_prefix, path), gt_label=label)
            for path, label in samples
        ]


@DATASETS.register_module()
class ImageNetC(BaseDataset):
    """ImageNet-C (Hendrycks & Dietterich, 2019): the ImageNet validation
    images under 15 (+4) corruptions at 5 severities::

        imagenet-c
        └── <corruption>/<severity 1-5>/<wnid>/<image>.JPEG

    Each (corruption, severity) pair is a group: data infos hold
    ``group_label`` (index into ``metainfo['groups']``, named
    ``'<corruption>/<severity>'``), ``corruption`` and ``severity``, so one
    run with ``GroupAccuracy`` reports the accuracy of every pair and their
    mean. Add ``group_label`` to the packing transform's ``meta_keys``.

    Args:
        data_root (str): The ImageNet-C folder.
        corruptions (str | Sequence[str], optional): Corruptions to load;
            None loads the 15 of :data:`CORRUPTIONS`. Defaults to None.
        severities (int | Sequence[int]): Severities to load. Defaults to
            1 to 5.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`
            (``classes`` replaces the 1000 ImageNet class names).
    """

    METAINFO = {'classes': IMAGENET_CATEGORIES}

    def __init__(self,
                 data_root: str,
                 corruptions: Optional[Union[str, Sequence[str]]] = None,
                 severities: Union[int, Sequence[int]] = SEVERITIES,
                 **kwargs):
        check_exists(data_root, IMAGENET_C_ARCHIVE, 'ImageNet-C data_root')
        if corruptions is None:
            corruptions = CORRUPTIONS
        elif isinstance(corruptions, str):
            corruptions = (corruptions, )
        if isinstance(severities, int):
            severities = (severities, )
        known = CORRUPTIONS + EXTRA_CORRUPTIONS
        unknown = [c for c in corruptions if c not in known]
        if unknown or not set(severities) <= set(SEVERITIES):
            raise ValueError(
                f'Unknown corruptions {unknown} or severities '
                f'{list(severities)}; choose from {list(known)} and '
                f'{list(SEVERITIES)}.')
        self.corruptions = tuple(corruptions)
        self.severities = tuple(severities)
        groups = tuple(f'{c}/{s}' for c in self.corruptions
                       for s in self.severities)
        metainfo = dict(groups=groups, **kwargs.pop('metainfo', None) or {})
        kwargs.setdefault('test_mode', True)
        super().__init__(
            ann_file='', data_root=data_root, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Load the images, labels and groups of every pair.

        Returns:
            list[dict]: ``img_path``, ``gt_label``, ``group_label``,
            ``corruption`` and ``severity``.
        """
        data_list = []
        for group, name in enumerate(self.metainfo['groups']):
            corruption, severity = name.split('/')
            root = check_exists(
                osp.join(self.data_root, corruption, severity),
                IMAGENET_C_ARCHIVE, 'ImageNet-C folder')
            samples = class_folder_samples(root, len(self.CLASSES),
                                           IMAGENET_C_ARCHIVE, EXTENSIONS)
            data_list.extend(
                dict(
                    img_path=osp.join(root, filename),
                    gt_label=label,
                    group_label=group,
                    corruption=corruption,
                    severity=int(severity)) for filename, label in samples)
        return data_list

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        return [
            f'Root of dataset: \t{self.data_root}',
            f'Corruptions: \t{", ".join(self.corruptions)}',
            f'Severities: \t{self.severities}'
        ]
