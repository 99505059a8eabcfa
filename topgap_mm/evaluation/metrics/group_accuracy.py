"""Accuracy per group, their mean and the worst group (Waterbirds)."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from mmpretrain.registry import METRICS


@METRICS.register_module()
class GroupAccuracy(BaseMetric):
    """Top-1 accuracy of every group of samples, and summaries over groups.

    A group is whatever the dataset puts in ``group_label`` (Waterbirds:
    bird type x place; ImageNet-C: corruption x severity), with names in
    ``dataset_meta['groups']``. The packing transform must carry it, e.g.
    ``dict(type='PackMaskedInputs', meta_keys=(..., 'group_label'))``.

    Keys of the result (``prefix`` defaults to ``'group'``):

    - ``accuracy``: over all samples;
    - ``average_accuracy``: the group accuracies weighted by
      ``group_weights`` (the group DRO paper weights Waterbirds test groups
      by the training group sizes); without weights, their plain mean;
    - ``worst_group_accuracy``: the lowest group accuracy;
    - ``<group name>``: the accuracy of each group (groups without samples
      are left out of everything).

    All in percent, as MMPretrain's ``Accuracy``.

    Args:
        group_key (str): Field of the data samples with the group index.
            Defaults to ``'group_label'``.
        group_weights (Sequence[float], optional): Weight of every group
            for ``average_accuracy``. Defaults to None.
        collect_device (str): Device for collecting results across ranks.
            Defaults to 'cpu'.
        prefix (str, optional): Prefix of the result keys. Defaults to
            ``'group'``.
    """
    default_prefix = 'group'

    def __init__(self,
                 group_key: str = 'group_label',
                 group_weights: Optional[Sequence[float]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if group_weights is not None and (
                min(group_weights) < 0 or sum(group_weights) <= 0):
            raise ValueError('group_weights must be non-negative and not all '
                             f'zero, got {group_weights}.')
        self.group_key = group_key
        self.group_weights = group_weights

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep the group and whether the top-1 prediction is right.

        Args:
            data_batch: Unused.
            data_samples (Sequence[dict]): Outputs of the model.
        """
        for sample in data_samples:
            group = sample.get(self.group_key)
            if group is None:
                raise KeyError(
                    f'GroupAccuracy needs `{self.group_key}` in the data '
                    f'samples; add it to the `meta_keys` of the packing '
                    f'transform and use a dataset that sets it (Waterbirds, '
                    f'ImageNetC).')
            correct = int(sample['pred_label'].item()) == int(
                sample['gt_label'].item())
            self.results.append((int(group), correct))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Compute the accuracies from the kept (group, correct) pairs."""
        groups = np.array([g for g, _ in results], dtype=np.int64)
        correct = np.array([c for _, c in results], dtype=np.float64)
        names = (self.dataset_meta or {}).get('groups')
        return self.calculate(groups, correct, names, self.group_weights)

    @staticmethod
    def calculate(groups: np.ndarray,
                  correct: np.ndarray,
                  names: Optional[Sequence[str]] = None,
                  group_weights: Optional[Sequence[float]] = None
                  ) -> Dict[str, float]:
        """Accuracies per group and over groups, without a Runner.

        Args:
            groups (np.ndarray): (N, ) group index of every sample.
            correct (np.ndarray): (N, ) 1 where the prediction is right.
            names (Sequence[str], optional): Name of every group index;
                None names group ``i`` ``'group_i'``.
            group_weights (Sequence[float], optional): See the class.

        Returns:
            dict[str, float]: The metrics, in percent.
        """
        present = np.unique(groups)
        if names is not None and present.max(initial=-1) >= len(names):
            raise ValueError(f'Group index {present.max()} has no name among '
                             f'the {len(names)} groups {list(names)}.')
        accs = np.array([correct[groups == g].mean() for g in present])
        if group_weights is None:
            weights = np.ones(len(present))
        else:
            weights = np.asarray(group_weights, np.float64)[present]
        metrics = {
            'accuracy': 100 * correct.mean(),
            'average_accuracy': 100 * float(
                (accs * weights).sum() / weights.sum()),
            'worst_group_accuracy': 100 * accs.min(),
        }
        for g, acc in zip(present, accs):
            name = names[g] if names is not None else f'group_{g}'
            metrics[name] = 100 * acc
        return {k: float(v) for k, v in metrics.items()}
