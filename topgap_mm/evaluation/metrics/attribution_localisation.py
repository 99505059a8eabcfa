"""Mask-based scores of the attribution literature: pointing game,
relevance mass accuracy and relevance rank accuracy."""
import math
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from mmpretrain.registry import METRICS
from ..ground_truth import labels_and_masks
from .cam_metric import CAMMetric


def dilate(masks: torch.Tensor, radius: int) -> torch.Tensor:
    """Grow boolean masks (N, H, W) by a disc of ``radius`` pixels."""
    if radius == 0:
        return masks
    offsets = torch.arange(-radius, radius + 1, device=masks.device)
    disc = (offsets[:, None]**2 + offsets[None, :]**2 <= radius**2).float()
    grown = F.conv2d(
        masks[:, None].float(), disc[None, None], padding=radius)[:, 0]
    return grown > 0


@METRICS.register_module()
class AttributionLocalisation(CAMMetric):
    """Pointing game, relevance mass and relevance rank accuracy.

    Each image's map of the ground-truth class (:func:`topgap_mm.cam.
    compute_cams`: upsampled to the input, min-max normalised to [0, 1]) is
    scored against its object mask; mask pixels of value 255 (ignore) take
    part in none of the scores: they can neither be pointed at nor carry
    relevance. All three are means over images, in percent:

    - ``pointing_game`` (Zhang et al. 2016): a hit when the map's maximum
      lies on the object, or within ``tolerance`` pixels of it (the object
      grown by a disc; the original uses 15 px on full-size images). When
      several pixels share the maximum, the score is the share of them on
      the object: the expected hit under a random choice among them, so a
      constant map scores the object's share of the image, not a hit.
    - ``relevance_mass`` (Arras et al. 2022): the map's mass on the object
      over its total mass. A map of zeros (a constant map after the
      normalisation) spreads its mass uniformly: it scores the object's
      share.
    - ``relevance_rank`` (Arras et al. 2022): with K the object's pixel
      count, the share of the map's K highest pixels that lie on the
      object. Pixels tied at the K-th value count with the share of the tie
      on the object (the expected value under a random order of the tie).

    On maps without ties these equal Quantus' ``PointingGame``,
    ``RelevanceMassAccuracy`` and ``RelevanceRankAccuracy`` (``abs=False,
    normalise=False``; ``tests/test_attribution_metrics.py``), which break
    ties by the order of a sort instead. Images without object pixels are
    left out.

    Args:
        method (str): CAM method of :func:`topgap_mm.cam.compute_cams`.
            Defaults to ``'auto'``.
        method_kwargs (dict, optional): Passed to the CAM method.
        tolerance (int): Pointing-game tolerance in pixels of the model
            input. Defaults to 0.
        max_samples (int, optional): See :class:`CAMMetric`.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Prefix of the metric names. Defaults to
            ``'attribution'``.
    """

    default_prefix = 'attribution'

    def __init__(self,
                 method: str = 'auto',
                 method_kwargs: Optional[dict] = None,
                 tolerance: int = 0,
                 max_samples: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(
            method=method,
            method_kwargs=method_kwargs,
            max_samples=max_samples,
            collect_device=collect_device,
            prefix=prefix)
        if not isinstance(tolerance, int) or tolerance < 0:
            raise ValueError(f'`tolerance` must be an int >= 0 (pixels), '
                             f'got {tolerance!r}.')
        self.tolerance = tolerance

    @staticmethod
    def calculate(cams: torch.Tensor, masks: torch.Tensor,
                  tolerance: int = 0) -> Dict[str, torch.Tensor]:
        """The three scores of each image, as fractions.

        Args:
            cams (torch.Tensor): Maps (N, H, W), non-negative.
            masks (torch.Tensor): Masks (N, H, W): 1 object, 0 background,
                anything else ignored.
            tolerance (int): Pointing-game tolerance in pixels.

        Returns:
            dict[str, torch.Tensor]: ``pointing_game``, ``relevance_mass``
            and ``relevance_rank``, each (N, ) float64, NaN for images
            without object pixels.
        """
        if cams.shape != masks.shape or cams.dim() != 3:
            raise ValueError(f'Maps and masks must both be (N, H, W), got '
                             f'{tuple(cams.shape)} and {tuple(masks.shape)}.')
        if bool((cams < 0).any()):
            raise ValueError('Relevance scores need non-negative maps; '
                             'normalise them to [0, 1] first.')
        cams = cams.double().flatten(1)
        valid = ((masks == 0) | (masks == 1)).flatten(1)
        obj = (masks == 1).flatten(1)
        near_obj = dilate(masks == 1, tolerance).flatten(1)
        num_obj = obj.sum(1).double()
        num_valid = valid.sum(1).double()
        share = num_obj / num_valid.clamp_min(1)

        candidates = torch.where(valid, cams, cams.new_tensor(-math.inf))
        at_max = valid & (candidates == candidates.amax(1, keepdim=True))
        pointing = (at_max & near_obj).sum(1) / at_max.sum(1).clamp_min(1)

        total = (cams * valid).sum(1)
        mass = torch.where(total > 0, (cams * obj).sum(1) /
                           total.clamp_min(torch.finfo(cams.dtype).tiny),
                           share)

        k = num_obj.long().clamp_min(1)
        ranked = candidates.sort(dim=1, descending=True).values
        kth = ranked.gather(1, (k - 1)[:, None])
        above = valid & (candidates > kth)
        tied = valid & (candidates == kth)
        tie_share = (tied & obj).sum(1) / tied.sum(1).clamp_min(1)
        rank_hits = (above & obj).sum(1) + (k - above.sum(1)) * tie_share
        rank = rank_hits / k

        missing = num_obj == 0
        nan = cams.new_tensor(math.nan)
        return {
            name: torch.where(missing, nan, value.double())
            for name, value in (('pointing_game', pointing),
                                ('relevance_mass', mass),
                                ('relevance_rank', rank))
        }

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        num = self.take(len(data_samples))
        if num == 0:
            return
        _, masks = labels_and_masks(
            data_batch, num, with_labels=False, with_masks=True)
        cams = self.cams(data_batch, data_samples, num, 'gt')
        scores = self.calculate(cams.detach(),
                                torch.stack(masks).to(cams.device),
                                self.tolerance)
        for values in zip(*[v.cpu().tolist() for v in scores.values()]):
            self.results.append(dict(zip(scores, values)))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if not results:
            raise ValueError('AttributionLocalisation received no samples.')
        metrics = {}
        for key in ('pointing_game', 'relevance_mass', 'relevance_rank'):
            values = np.array([r[key] for r in results], dtype=np.float64)
            values = values[~np.isnan(values)]
            metrics[key] = float(values.mean() * 100) if values.size else \
                float('nan')
        return metrics
