"""Base class of metrics that need the model itself, and its gradients."""
import math
from typing import Optional

import torch.nn as nn
from mmengine.dist import get_world_size
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
        max_samples (int, optional): Process at most this many samples in
            all (split evenly over the processes), as these metrics can cost
            many forward/backward passes per image. ``None`` uses all.
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
        """How many samples of the next batch to process under the cap."""
        if self.max_samples is None:
            return batch_size
        per_rank = math.ceil(self.max_samples / get_world_size())
        num = max(0, min(batch_size, per_rank - self._seen))
        self._seen += num
        return num

    def evaluate(self, size: int) -> dict:
        metrics = super().evaluate(size)
        self._seen = 0
        return metrics
