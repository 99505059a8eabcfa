"""Stops a run whose model has another class count than its data."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class ClassCountCheckHook(Hook):
    """Compare the head's and the data preprocessor's ``num_classes`` with
    the class count of each split's dataset, before the first iteration.

    A head with more outputs than the dataset has classes trains and
    evaluates silently (the extra logits are never a target); one with
    fewer fails deep inside the loss with a bare ``IndexError``. Datasets
    whose metainfo lists no classes are not checked.
    """

    priority = 'VERY_HIGH'

    @staticmethod
    def _dataset_classes(dataloader) -> Optional[int]:
        dataset = getattr(dataloader, 'dataset', None)
        classes = getattr(dataset, 'metainfo', {}).get('classes')
        return len(classes) if classes else None

    def _check(self, runner, dataloader, split: str) -> None:
        expected = self._dataset_classes(dataloader)
        if expected is None:
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        counts = {
            'model.head.num_classes':
            getattr(getattr(model, 'head', None), 'num_classes', None),
            'data_preprocessor.num_classes':
            getattr(getattr(model, 'data_preprocessor', None), 'num_classes',
                    None),
        }
        for key, count in counts.items():
            if count is not None and count != expected:
                dataset = type(dataloader.dataset).__name__
                raise ValueError(
                    f'`{key}` is {count}, but the {split} dataset '
                    f'({dataset}) has {expected} classes; set '
                    f'`{key}={expected}` (and the other of '
                    '`model.head.num_classes` / '
                    '`data_preprocessor.num_classes` to match).')

    def before_train(self, runner) -> None:
        self._check(runner, runner.train_dataloader, 'train')

    def before_test(self, runner) -> None:
        self._check(runner, runner.test_dataloader, 'test')
