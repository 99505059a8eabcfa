"""Stratified k-fold cross-validation (the paper's Table 6 uses 5 folds)."""
from typing import List, Sequence

import numpy as np

from mmpretrain.datasets import KFoldDataset
from mmpretrain.registry import DATASETS


def stratified_fold_indices(labels: Sequence[int], num_splits: int,
                            seed: int) -> List[List[int]]:
    """Split sample indices into ``num_splits`` class-balanced folds.

    Each class's samples are shuffled and dealt out in turn, continuing the
    turn from class to class, so every fold holds ``n_c / num_splits``
    (rounded) samples of every class ``c`` and the folds differ in size by
    at most one.

    Args:
        labels (Sequence[int]): The label of every sample.
        num_splits (int): Number of folds.
        seed (int): Seed of the shuffle.

    Returns:
        list[list[int]]: The sorted indices of every fold.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    order = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        order.extend(rng.permutation(members).tolist())
    return [sorted(order[i::num_splits]) for i in range(num_splits)]


@DATASETS.register_module()
class StratifiedKFoldDataset(KFoldDataset):
    """:class:`mmpretrain.datasets.KFoldDataset` with class-balanced folds.

    MMPretrain's wrapper cuts the (optionally shuffled) sample list into
    contiguous blocks, so a fold can miss a rare class; here every fold
    keeps the class proportions of the whole dataset. Select it in a config
    (``tools/kfold_cross_valid.py`` writes exactly this for every fold)::

        train_dataloader = dict(dataset=dict(
            type='StratifiedKFoldDataset', dataset=<the dataset>,
            fold=0, num_splits=5, seed=0))
        val_dataloader = dict(dataset=dict(
            type='StratifiedKFoldDataset', dataset=<the dataset with the
            test pipeline>, fold=0, num_splits=5, seed=0, test_mode=True))

    Args:
        dataset (BaseDataset | dict): The dataset to split.
        fold (int): The fold held out for validation. Defaults to 0.
        num_splits (int): Number of folds. Defaults to 5.
        test_mode (bool): True gives the held-out fold, False the others.
            Defaults to False.
        seed (int): Seed of the split; train and validation wrappers of one
            fold must share it. Defaults to 0.
    """

    def __init__(self,
                 dataset,
                 fold: int = 0,
                 num_splits: int = 5,
                 test_mode: bool = False,
                 seed: int = 0):
        if num_splits < 2 or not 0 <= fold < num_splits:
            raise ValueError(f'Need num_splits >= 2 and 0 <= fold < '
                             f'num_splits, got fold={fold}, '
                             f'num_splits={num_splits}.')
        super().__init__(dataset, fold, num_splits, test_mode, seed)

    def full_init(self) -> None:
        """Split the wrapped dataset and keep this wrapper's part."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        labels = self.dataset.get_gt_labels()
        folds = stratified_fold_indices(labels, self.num_splits, self.seed)
        if self.test_mode:
            indices = folds[self.fold]
        else:
            indices = sorted(i for k, fold in enumerate(folds)
                             if k != self.fold for i in fold)
        self._ori_indices = indices
        self.dataset = self.dataset.get_subset(indices)
        self._fully_initialized = True
