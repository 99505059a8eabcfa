"""Localisation of CAMs against object masks: IoU curve and PxAP."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmseg.evaluation import IoUMetric

from mmpretrain.registry import METRICS
from ...datasets.mask_conventions import IGNORE_INDEX
from ..ground_truth import labels_and_masks
from .cam_metric import CAMMetric
from .held_out_threshold import resolve_threshold, write_curve

#: 0.00, 0.01, ..., 1.00; a division rather than ``np.linspace`` so that a
#: threshold such as 0.29 written in a config is exactly a grid value.
DEFAULT_THRESHOLDS = tuple(np.arange(101) / 100)


@METRICS.register_module()
class CAMIoU(CAMMetric):
    """IoU of binarised CAMs with object masks, and pixel average precision.

    The CAM of the ground-truth class (:func:`topgap_mm.cam.compute_cams`,
    upsampled to the input and min-max normalised to [0, 1]) is compared
    with the sample's ``gt_object_mask``; mask pixels of value 255 are left
    out. Pixels with ``cam >= t`` are predicted object.

    Per image only compact counts are kept: histograms of the CAM values of
    object and of background pixels over the threshold grid. They give, for
    every threshold at once, the intersection (object pixels >= t) and union
    (all object pixels + background pixels >= t), and the precision-recall
    curve of PxAP. This costs one bucketing per image instead of one
    binarisation per threshold, which is why mmseg's
    ``IoUMetric.intersect_and_union`` is used only for the IoU at the one
    threshold chosen on held-out data.

    IoU is mmseg's dataset-level definition: total intersection over total
    union, summed over all images (``IoUMetric`` with the object as class
    1), in percent.

    The threshold for the reported ``iou@best_val_thr`` must come from other
    data than the split being evaluated: ``threshold`` directly, or
    ``threshold_from``, the curve JSON an earlier run wrote with
    ``save_curve`` on a validation split. The best threshold of the split
    itself is only reported as ``best_threshold_on_this_split``, an
    optimistic (oracle) number.

    Output keys (with the default prefix ``cam``):

    - ``pxap``: pixel average precision, in percent: object vs background
      pixels pooled over the dataset, ``AP = sum_t precision(t) *
      (recall(t) - recall(t_next))`` over the thresholds from high to low,
      i.e. scikit-learn's ``average_precision_score`` on the CAM values
      bucketed by the grid. wsolevaluation's PxAP
      (``MaskEvaluator.compute``) is the same sum, the first term (the
      recall gained at the highest threshold, pixels with CAM value 1.0)
      included: its histogram's extra bins above 1.0 start the recall at 0.
    - ``iou@best_val_thr`` and ``best_val_thr`` (when a threshold is given).
    - ``best_threshold_on_this_split`` and
      ``iou@best_threshold_on_this_split``.

    Args:
        method (str): CAM method of :func:`topgap_mm.cam.compute_cams`.
            Defaults to ``'auto'`` (native maps of Top-GAP models, GradCAM
            otherwise).
        method_kwargs (dict, optional): Passed to the CAM method.
        thresholds (Sequence[float], optional): Strictly increasing
            thresholds in [0, 1] of the curve and of PxAP. Defaults to
            0.00, 0.01, ..., 1.00.
        threshold (float, optional): Threshold chosen on held-out data.
        threshold_from (str, optional): JSON written by ``save_curve`` on a
            validation split; its ``best_threshold`` is used. Read when the
            metric is built, so a missing file fails before the test runs.
        save_curve (str, optional): Write the curve (thresholds, IoU,
            precision, recall) and ``best_threshold`` here.
        max_samples (int, optional): See :class:`CAMMetric`.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Prefix of the metric names.
    """

    default_prefix = 'cam'
    #: File name stem of the curve a study saves on its selection split.
    curve_file = 'cam_iou_curve'

    def __init__(self,
                 method: str = 'auto',
                 method_kwargs: Optional[dict] = None,
                 thresholds: Optional[Sequence[float]] = None,
                 threshold: Optional[float] = None,
                 threshold_from: Optional[str] = None,
                 save_curve: Optional[str] = None,
                 max_samples: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(
            method=method,
            method_kwargs=method_kwargs,
            max_samples=max_samples,
            collect_device=collect_device,
            prefix=prefix)
        grid = np.asarray(
            DEFAULT_THRESHOLDS if thresholds is None else thresholds,
            dtype=np.float64)
        if (grid.ndim != 1 or grid.size < 2 or np.any(np.diff(grid) <= 0)
                or grid[0] < 0 or grid[-1] > 1):
            raise ValueError(f'`thresholds` must be at least 2 strictly '
                             f'increasing values in [0, 1], got '
                             f'{thresholds!r}.')
        threshold = resolve_threshold(threshold, threshold_from, method)
        self.thresholds = grid
        self.threshold = threshold
        self.save_curve = save_curve

    @staticmethod
    def histograms(cam: torch.Tensor, mask: torch.Tensor,
                   thresholds: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Histograms of the CAM values of object and background pixels.

        Bin 0 holds values below ``thresholds[0]``, bin ``j`` values in
        ``[thresholds[j-1], thresholds[j])`` and the last bin values
        ``>= thresholds[-1]``, so the pixels with ``cam >= thresholds[b]``
        are exactly bins ``b + 1`` onwards.

        Args:
            cam (torch.Tensor): Map (H, W).
            mask (torch.Tensor): Mask (H, W): 1 object, 0 background,
                anything else ignored.
            thresholds (np.ndarray): Increasing thresholds (T, ).

        Returns:
            tuple[np.ndarray]: Object and background counts, each (T + 1, )
            int64.
        """
        if tuple(cam.shape) != tuple(mask.shape):
            raise ValueError(
                f'The CAM has shape {tuple(cam.shape)} but the object mask '
                f'{tuple(mask.shape)}; CAMs are made at the model input size, '
                f'so the mask must be resized with the image (mmcv '
                f'transforms on `gt_seg_map`) and batches must not be '
                f'padded.')
        edges = torch.as_tensor(
            thresholds, dtype=torch.float64, device=cam.device)
        # right=True: a value equal to a threshold counts as >= it, with the
        # same float comparison that `cam >= t` makes.
        bins = torch.bucketize(cam.double(), edges, right=True)
        mask = mask.to(cam.device)
        counts = [
            torch.bincount(bins[mask == value], minlength=len(edges) + 1)
            for value in (1, 0)
        ]
        return tuple(c.cpu().numpy().astype(np.int64) for c in counts)

    @staticmethod
    def calculate(object_hist: np.ndarray, background_hist: np.ndarray,
                  thresholds: Sequence[float]) -> Dict[str, np.ndarray]:
        """IoU curve and PR curve from histograms summed over a dataset.

        Args:
            object_hist (np.ndarray): Object pixel counts (T + 1, ), see
                :meth:`histograms`.
            background_hist (np.ndarray): Background pixel counts (T + 1, ).
            thresholds (Sequence[float]): The T thresholds.

        Returns:
            dict: ``iou``, ``precision`` and ``recall`` (T, ) per threshold
            (IoU in percent, NaN where undefined), ``pxap`` in percent and
            ``best_threshold`` (the first threshold of maximal IoU).

        Examples:
            >>> import numpy as np
            >>> import torch
            >>> thresholds = np.array([0.25, 0.5, 0.75])
            >>> cam = torch.tensor([[0.9, 0.6], [0.3, 0.1]])
            >>> mask = torch.tensor([[1, 1], [0, 0]])  # the top row
            >>> hists = CAMIoU.histograms(cam, mask, thresholds)
            >>> curves = CAMIoU.calculate(*hists, thresholds)
            >>> curves['iou']  # one of 3 pixels wrong, exact, half missed
            array([ 66.66666667, 100.        ,  50.        ])
            >>> float(curves['pxap']), float(curves['best_threshold'])
            (100.0, 0.5)
        """
        object_hist = np.asarray(object_hist, dtype=np.float64)
        background_hist = np.asarray(background_hist, dtype=np.float64)
        if object_hist.shape != (len(thresholds) + 1, ) or \
                background_hist.shape != object_hist.shape:
            raise ValueError(
                f'Histograms must have {len(thresholds) + 1} bins for '
                f'{len(thresholds)} thresholds, got {object_hist.shape} and '
                f'{background_hist.shape}.')
        # Counts of pixels >= thresholds[b]: bins b + 1 onwards.
        true_pos = np.cumsum(object_hist[::-1])[::-1][1:]
        false_pos = np.cumsum(background_hist[::-1])[::-1][1:]
        num_object = object_hist.sum()
        with np.errstate(invalid='ignore', divide='ignore'):
            iou = true_pos / (num_object + false_pos) * 100
            precision = true_pos / (true_pos + false_pos)
            recall = true_pos / num_object
        # From the highest threshold down, recall grows from 0; thresholds
        # that predict nothing add no recall and are skipped.
        gain = -np.diff(np.concatenate([recall, [0.]]))
        pxap = float(np.sum(np.where(gain > 0, precision * gain, 0.)) * 100) \
            if num_object > 0 else float('nan')
        best = (float(thresholds[int(np.nanargmax(iou))])
                if not np.all(np.isnan(iou)) else float('nan'))
        return dict(
            iou=iou,
            precision=precision,
            recall=recall,
            pxap=pxap,
            best_threshold=best)

    def process(self, data_batch: dict,
                data_samples: Sequence[dict]) -> None:
        """Keep each image's histograms (and areas at ``threshold``)."""
        num = self.take(len(data_samples))
        if num == 0:
            return
        _, masks = labels_and_masks(
            data_batch, num, with_labels=False, with_masks=True)
        cams = self.cams(data_batch, data_samples, num, 'gt')
        for cam, mask in zip(cams.detach(), masks):
            object_hist, background_hist = self.histograms(
                cam, mask, self.thresholds)
            result = dict(
                object_hist=object_hist, background_hist=background_hist)
            if self.threshold is not None:
                intersect, union, _, _ = IoUMetric.intersect_and_union(
                    (cam >= self.threshold).long(),
                    mask.to(cam.device).long(),
                    num_classes=2,
                    ignore_index=IGNORE_INDEX)
                # Index 1: the object class.
                result.update(
                    intersect=float(intersect[1]), union=float(union[1]))
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """PxAP, the IoU at the held-out threshold and the oracle numbers."""
        curve = self.calculate(
            np.sum([r['object_hist'] for r in results], axis=0),
            np.sum([r['background_hist'] for r in results], axis=0),
            self.thresholds)
        best = curve['best_threshold']
        metrics = {
            'pxap': curve['pxap'],
            'best_threshold_on_this_split': best,
            'iou@best_threshold_on_this_split': (float(
                np.nanmax(curve['iou'])) if not np.isnan(best) else best),
        }
        if self.threshold is not None:
            union = sum(r['union'] for r in results)
            metrics['iou@best_val_thr'] = (
                sum(r['intersect'] for r in results) / union *
                100 if union > 0 else float('nan'))
            metrics['best_val_thr'] = self.threshold
        if self.save_curve is not None:
            self._save(curve, len(results))
        return metrics

    def _save(self, curve: dict, num_images: int) -> None:
        def floats(values):
            # JSON has no NaN; null marks thresholds where IoU is undefined.
            return [None if np.isnan(v) else float(v) for v in values]

        record = dict(
            metric=type(self).__name__,
            method=self.method,
            iou_definition='dataset-level: total intersection / total union '
            '(mmseg IoUMetric), percent',
            num_images=num_images,
            thresholds=floats(self.thresholds),
            iou=floats(curve['iou']),
            precision=floats(curve['precision']),
            recall=floats(curve['recall']),
            pxap=curve['pxap'],
            best_threshold=curve['best_threshold'])
        write_curve(self.save_curve, record)
