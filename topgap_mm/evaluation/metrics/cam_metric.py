"""Base class of the metrics computed on the CAMs of the evaluated images."""
from typing import Optional, Sequence

import torch
import torch.nn as nn

from ...cam import is_topgap_model, resolve_method
from ..batch_cams import batch_cams
from .model_metric import ModelMetric


class CAMMetric(ModelMetric):
    """A metric on one CAM per image, from any method of
    :func:`topgap_mm.cam.compute_cams`.

    With the native Top-GAP map (``method='topgap'``, or ``'auto'`` on a
    Top-GAP model) the metric switches on the head's ``keep_cams`` when it
    gets the model, and reads the maps of the test forward pass from the
    model's outputs: it then costs no extra forward pass. Post-hoc methods
    run on the batch again, as they need their own backward or masked
    passes.

    Args:
        method (str): CAM method of :func:`topgap_mm.cam.compute_cams`.
            Defaults to ``'auto'``.
        method_kwargs (dict, optional): Passed to the CAM method.
        max_samples (int, optional): See :class:`ModelMetric`.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Prefix of the metric names.
    """

    def __init__(self,
                 method: str = 'auto',
                 method_kwargs: Optional[dict] = None,
                 max_samples: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(
            max_samples=max_samples,
            collect_device=collect_device,
            prefix=prefix)
        self.method = method
        self.method_kwargs = method_kwargs or {}

    @staticmethod
    def check_target(target: str) -> None:
        """Raise a ValueError naming ``target`` unless it is ``'gt'`` or
        ``'pred'``."""
        if target not in ('gt', 'pred'):
            raise ValueError(f"`target` must be 'gt' or 'pred', got "
                             f'{target!r}.')

    def attach_model(self, model: nn.Module) -> None:
        super().attach_model(model)
        # A standard model with method='topgap' is left to fail in
        # `process`, where the error names the head it needs.
        if (resolve_method(model, self.method) == 'topgap'
                and is_topgap_model(model)):
            model.head.keep_cams = True

    def cams(self, data_batch: dict, data_samples: Sequence, num: int,
             target: str) -> torch.Tensor:
        """Normalised maps (num, H, W) of the batch's first ``num`` images
        for the ``'gt'`` or ``'pred'`` class."""
        return batch_cams(
            self.model,
            data_batch,
            num,
            self.method,
            target,
            self.method_kwargs,
            outputs=data_samples)
