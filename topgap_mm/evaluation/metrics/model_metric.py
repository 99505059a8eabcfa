"""Base class of metrics that need the model itself, and its gradients."""
import math
from typing import Optional

import torch.nn as nn
from mmengine.dist import get_rank, get_world_size
from mmengine.evaluator import BaseMetric


class ModelMetric(BaseMetric):
    """A metric that runs the model again (CAMs, gradients, attacks).

    MMEngine metrics only see a batch and the model's outputs, and the
    val/test loops run under ``torch.no_grad()``. Subclasses of this class
    receive the unwrapped model from :class:`AttachModelHook` before each
    val/test loop and re-enable gradients themselves where needed. Add the
    hook once to a config that uses any such metric::

        custom_hooks = [dict(type='AttachModelHook')]

    Args:
        max_samples (int, optional): Process the first this many samples of
            the dataset, as these metrics can cost many forward/backward
            passes per image; the same samples on any number of processes.
            ``None`` uses all. Subclasses keep one result per sample.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Prefix of the metric names.
    """

    def __init__(self,
                 max_samples: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if max_samples is not None and max_samples <= 0:
            raise ValueError(f'`max_samples` must be a positive int or None, '
                             f'got {max_samples}.')
        self.max_samples = max_samples
        self._model: Optional[nn.Module] = None
        self._seen = 0

    def attach_model(self, model: nn.Module) -> None:
        """Give the metric the (unwrapped) model to evaluate."""
        self._model = model
        self._seen = 0

    @property
    def model(self) -> nn.Module:
        if self._model is None:
            raise RuntimeError(
                f'{type(self).__name__} needs the model: add '
                f"`custom_hooks = [dict(type='AttachModelHook')]` to the "
                f'config, or call `attach_model(model)` when using the '
                f'metric outside a Runner.')
        return self._model

    def take(self, batch_size: int) -> int:
        """How many samples of the next batch to process under the cap.

        MMEngine's ``DefaultSampler`` deals the dataset out in turn, so
        this rank's j-th sample is the dataset's ``rank + j * world_size``-th;
        only those before ``max_samples`` are taken.
        """
        if self.max_samples is None:
            return batch_size
        rank, world_size = get_rank(), get_world_size()
        per_rank = max(0, math.ceil((self.max_samples - rank) / world_size))
        num = max(0, min(batch_size, per_rank - self._seen))
        self._seen += num
        return num

    def evaluate(self, size: int) -> dict:
        if self.max_samples is not None:
            size = min(size, self.max_samples)
            # MMEngine interleaves the ranks' results with zip, which stops
            # at the shortest list: ranks left one short by the cap pad
            # with None, which lands past ``size`` and is cut off.
            per_rank = math.ceil(size / get_world_size())
            self.results.extend([None] * (per_rank - len(self.results)))
        metrics = super().evaluate(size)
        self._seen = 0
        return metrics
