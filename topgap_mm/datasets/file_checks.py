"""Build-time checks of the files and lines that a dataset's annotation
files list: paths stay inside the dataset, each image is listed once and in
one split, labels are in range and every listed file exists."""
import os.path as osp
from typing import Dict, Sequence

#: Missing files named in the error before "...".
SHOWN_MISSING = 5


def path_inside(root: str, rel_path: str, where: str) -> str:
    """Join a path listed in an annotation file onto its folder.

    A listed path that is absolute or climbs out of ``root`` through ``..``
    reads a file that is no part of the dataset (another split's, or
    another dataset's) without any other check noticing.

    Args:
        root (str): The folder the listed paths are relative to.
        rel_path (str): The path as listed.
        where (str): The file and line (or entry) listing it, for the error.

    Returns:
        str: ``rel_path`` joined onto ``root``.

    Raises:
        ValueError: If ``rel_path`` is absolute or leads out of ``root``.
    """
    normal = osp.normpath(rel_path)
    if osp.isabs(rel_path) or normal == osp.pardir or normal.startswith(
            osp.pardir + osp.sep):
        raise ValueError(
            f'{where}: the path {rel_path!r} points outside {root!r}; '
            'expected a path relative to that folder and below it, as the '
            "dataset's own lists give them.")
    return osp.join(root, rel_path)


def check_listed_once(seen: Dict[str, str], key: str, listed: str,
                      where: str) -> None:
    """Record where a sample is listed; a second listing is an error.

    An image listed twice is counted twice, and under two split values it
    is a test image trained on.

    Args:
        seen (dict): Sample key -> where it was listed (``'on line 3'``),
            filled by the calls.
        key (str): The sample's image (or id).
        listed (str): Where this listing is, as stored in ``seen``.
        where (str): The file and line (or entry), for the error.

    Raises:
        ValueError: If ``key`` was listed before.
    """
    if key in seen:
        raise ValueError(
            f'{where}: {key} is already listed {seen[key]}; expected each '
            'image once (listed twice it is counted twice, or lands in two '
            'splits).')
    seen[key] = listed


def check_label(label: int, num_classes: int, image: str, where: str) -> int:
    """Raise unless a listed label is one of the dataset's classes.

    MMPretrain takes any integer: a label past the class count fails only
    in the loss, without naming the line, and a negative one indexes from
    the end of the class list.

    Args:
        label (int): The label as listed, counted from 0.
        num_classes (int): The number of classes.
        image (str): The image it labels, for the message.
        where (str): The file and line (or entry), for the message.

    Returns:
        int: ``label``, unchanged.

    Raises:
        ValueError: If ``label`` is not an int in ``0..num_classes - 1``.
    """
    if (not isinstance(label, int) or isinstance(label, bool)
            or not 0 <= label < num_classes):
        raise ValueError(
            f'{where}: label {label!r} of {image!r} is outside the '
            f'{num_classes} classes (0..{num_classes - 1}).')
    return label


def check_splits_disjoint(lists: Dict[str, Dict[str, int]]) -> None:
    """Raise if an image is in the lists of two official splits.

    A test image listed for training too is trained on, and no check of a
    single list can see it.

    Args:
        lists (dict): Annotation file -> (image -> its line number), in
            the order of the splits.

    Raises:
        ValueError: Naming the first shared image, its two lines and the
            count of the others.
    """
    paths = list(lists)
    for i, first in enumerate(paths):
        for second in paths[i + 1:]:
            shared = [key for key in lists[first] if key in lists[second]]
            if shared:
                more = f', as are {len(shared) - 1} more' if len(
                    shared) > 1 else ''
                raise ValueError(
                    f'{shared[0]!r} is in {first} (line '
                    f'{lists[first][shared[0]]}) and in {second} (line '
                    f'{lists[second][shared[0]]}){more}; an image belongs '
                    'to one official split.')


def check_listed_files(data_list: Sequence[dict],
                       provided_by: Dict[str, str],
                       source: str) -> None:
    """Check at build time that every file a data list names exists.

    A listed image that is missing would otherwise fail only when its batch
    loads, possibly hours into training.

    Args:
        data_list (Sequence[dict]): The dataset's data infos.
        provided_by (dict): Info key (``'img_path'``, ``'mask_path'``) ->
            the archive or command that provides those files.
        source (str): The annotation file that lists them, for the message.

    Raises:
        FileNotFoundError: With the count and the first missing paths.
    """
    for key, archive in provided_by.items():
        missing = [
            info[key] for info in data_list
            if key in info and '://' not in info[key]
            and not osp.isfile(info[key])
        ]
        if missing:
            shown = ', '.join(repr(p) for p in missing[:SHOWN_MISSING])
            more = ', ...' if len(missing) > SHOWN_MISSING else ''
            raise FileNotFoundError(
                f'{len(missing)} of the {len(data_list)} files listed in '
                f'{source} ({key}) do not exist: {shown}{more}. They are '
                f'provided by {archive}.')
