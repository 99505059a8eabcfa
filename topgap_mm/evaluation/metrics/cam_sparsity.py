"""Sparsity of CAMs: the mean L1 norm of the normalised map (Table A4)."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from mmpretrain.registry import METRICS
from .cam_metric import CAMMetric


@METRICS.register_module()
class CAMSparsity(CAMMetric):
    """Mean L1 norm of min-max normalised CAMs (paper Table A4, Fig. 4).

    Each image's CAM (:func:`topgap_mm.cam.compute_cams`: upsampled to the
    input size, then min-max normalised to [0, 1]) is reduced to the mean
    of its values, i.e. its L1 norm divided by the number of pixels; the
    metric is the mean over images. Lower is sparser. Bilinear upsampling
    keeps the mean of the raw map up to border effects, so the number
    matches the mean over the CAM's own positions, while every method is
    measured through the same normalisation (the paper uses GradCAM for
    standard models).

    Output key (with the default prefix ``cam``): ``l1``.

    Args:
        method (str): CAM method of :func:`topgap_mm.cam.compute_cams`.
            Defaults to ``'auto'``.
        target (str): ``'gt'`` (ground-truth class) or ``'pred'``
            (predicted class). Defaults to ``'gt'``.
        method_kwargs (dict, optional): Passed to the CAM method.
        max_samples (int, optional): See :class:`CAMMetric`.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Prefix of the metric names.
    """

    default_prefix = 'cam'

    def __init__(self,
                 method: str = 'auto',
                 target: str = 'gt',
                 method_kwargs: Optional[dict] = None,
                 max_samples: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(
            method=method,
            method_kwargs=method_kwargs,
            max_samples=max_samples,
            collect_device=collect_device,
            prefix=prefix)
        self.check_target(target)
        self.target = target

    @staticmethod
    def calculate(cams: torch.Tensor) -> torch.Tensor:
        """Per-image L1 norm per pixel of maps (N, H, W) in [0, 1]."""
        return cams.detach().abs().flatten(1).mean(dim=1)

    def process(self, data_batch: dict,
                data_samples: Sequence[dict]) -> None:
        num = self.take(len(data_samples))
        if num == 0:
            return
        cams = self.cams(data_batch, data_samples, num, self.target)
        self.results.extend(self.calculate(cams).cpu().tolist())

    def compute_metrics(self, results: List[float]) -> Dict[str, float]:
        return {'l1': float(np.mean(results))}
