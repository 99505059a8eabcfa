"""A held-out ``val`` split for datasets that ship only train and test.

CUB-200-2011, Oxford-IIIT Pet and the COCO single-object subset have no
validation split, so any choice made on their test split (k, the CAM-IoU
threshold, the epoch) would be reported on the data it was tuned on. The
datasets here carve a deterministic, class-stratified ``val`` split out of
the official training split: ``split='val'`` gives the held-out samples,
the training split the rest, and the test split is never touched.
"""
import numbers
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import MMLogger

#: Default share of every class held out, and seed of the draw.
VAL_FRACTION = 0.1
VAL_SEED = 0


def stratified_holdout_indices(labels: Sequence[int], fraction: float,
                               seed: int) -> Tuple[List[int], List[int]]:
    """Split sample indices into a training part and a held-out part.

    Every class with at least two samples gives ``round(n_c * fraction)``
    of them to the held-out part, at least one and never all, so that each
    class is in both parts in the proportions of the whole; a class with a
    single sample stays in the training part.

    Args:
        labels (Sequence[int]): The label of every sample.
        fraction (float): Share of every class that is held out, in (0, 1).
        seed (int): Seed of the draw within each class.

    Returns:
        tuple[list[int], list[int]]: The sorted indices of the training part
        and of the held-out part.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    held_out = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < 2:
            continue
        count = min(max(int(round(len(members) * fraction)), 1),
                    len(members) - 1)
        held_out.extend(rng.choice(members, count, replace=False).tolist())
    chosen = set(held_out)
    train = [i for i in range(len(labels)) if i not in chosen]
    return train, sorted(held_out)


class HeldOutValMixin:
    """Adds a held-out ``split='val'`` to a dataset with train/test splits.

    A dataset class calls :meth:`_held_out_split` in ``__init__`` to map
    the requested split onto the one its parent class reads, and
    :meth:`_held_out_part` on the parent's data list in
    ``load_data_list``. Arguments the subclass exposes:

    - ``val_fraction`` (float | None): share of every class of the
      training split held out as ``val``; None keeps the official training
      split whole (then there is no ``val``). Defaults to 0.1.
    - ``val_seed`` (int): seed of the draw; the train and val datasets of
      one config must share it. Defaults to 0.
    """

    def _held_out_split(self, split: str, train_split: str,
                        val_fraction: Optional[float], val_seed: int) -> str:
        """Check the held-out arguments; the split the parent class reads.

        Returns:
            str: ``train_split`` for ``split='val'``, else ``split``.
        """
        name = type(self).__name__
        if val_fraction is not None and (
                not isinstance(val_fraction, numbers.Real)
                or isinstance(val_fraction, bool)
                or not 0 < val_fraction < 1):
            raise ValueError(f'{name}: `val_fraction` must be None or a '
                             f'number in (0, 1), got {val_fraction!r}.')
        if not isinstance(val_seed, numbers.Integral) or isinstance(
                val_seed, bool):
            raise ValueError(
                f'{name}: `val_seed` must be an int, got {val_seed!r}.')
        if split == 'val' and val_fraction is None:
            raise ValueError(
                f"{name}: split='val' is held out of the {train_split!r} "
                'split and needs `val_fraction` (e.g. 0.1), got None.')
        self.held_out = (split if split in ('val', train_split) else None,
                         train_split)
        self.val_fraction = val_fraction
        self.val_seed = int(val_seed)
        return train_split if split == 'val' else split

    def _held_out_part(self, data_list: List[dict]) -> List[dict]:
        """Keep the requested part of the training split's data list."""
        part, train_split = self.held_out
        if part is None or self.val_fraction is None:
            return data_list
        labels = [info['gt_label'] for info in data_list]
        train, val = stratified_holdout_indices(labels, self.val_fraction,
                                                self.val_seed)
        if part == 'val' and not val:
            raise ValueError(
                f'{type(self).__name__}: the {train_split!r} split has no '
                'class with two samples, so nothing can be held out as '
                "split='val'.")
        keep = val if part == 'val' else train
        MMLogger.get_current_instance().info(
            f'{type(self).__name__}: split {part!r} is {len(keep)} of the '
            f'{len(data_list)} samples of the official {train_split!r} '
            f'split: {len(val)} are held out as split \'val\' (stratified, '
            f'val_fraction={self.val_fraction:g}, val_seed={self.val_seed})'
            f' and {len(train)} train.')
        return [data_list[i] for i in keep]

    def _held_out_repr(self) -> List[str]:
        part, train_split = self.held_out
        if part is None or self.val_fraction is None:
            return []
        return [
            f'Held-out split: \t{part!r} of {train_split!r} (val_fraction='
            f'{self.val_fraction:g}, val_seed={self.val_seed})'
        ]


def is_held_out_dataset(dataset_cfg: dict) -> bool:
    """Whether a dataset config builds a class with a held-out ``val``."""
    from mmpretrain.registry import DATASETS
    cls = DATASETS.get(dataset_cfg.get('type', ''))
    return isinstance(cls, type) and issubclass(cls, HeldOutValMixin)
