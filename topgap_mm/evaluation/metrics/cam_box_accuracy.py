"""Box localisation of CAMs: MaxBoxAccV2, GT-known Loc and Top-1 Loc."""
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch

from mmpretrain.registry import METRICS
from ..ground_truth import labels_and_masks, object_boxes, sample_field
from .cam_metric import CAMMetric
from .held_out_threshold import resolve_threshold, write_curve

#: wsolevaluation's default CAM threshold grid (``cam_curve_interval``
#: 0.001): 0, 0.001, ..., 0.999, made the same way.
DEFAULT_BOX_THRESHOLDS = tuple(np.arange(0, 1, 0.001))


def boxes_from_binary_map(binary: np.ndarray) -> np.ndarray:
    """Boxes of every contour of a binary map, as wsolevaluation draws them.

    ``cv2.findContours`` with ``RETR_TREE`` (outer contours and the
    contours of holes) and ``CHAIN_APPROX_SIMPLE``; each contour's
    ``cv2.boundingRect`` ``(x, y, w, h)`` becomes ``(x, y, min(x + w, W - 1),
    min(y + h, H - 1))``. A map without contours gives the box ``(0, 0, 0,
    0)``.

    Args:
        binary (np.ndarray): (H, W) uint8 map, nonzero is foreground.

    Returns:
        np.ndarray: (B, 4) int64 boxes ``(x0, y0, x1, y1)``, B >= 1.
    """
    height, width = binary.shape
    contours = cv2.findContours(binary, cv2.RETR_TREE,
                                cv2.CHAIN_APPROX_SIMPLE)[0]
    if len(contours) == 0:
        return np.zeros((1, 4), dtype=np.int64)
    rects = np.array([cv2.boundingRect(c) for c in contours], dtype=np.int64)
    x, y, w, h = rects.T
    return np.stack([
        x, y, np.minimum(x + w, width - 1),
        np.minimum(y + h, height - 1)
    ], axis=1)


def box_iou_inclusive(boxes: np.ndarray, gt_boxes: np.ndarray) -> np.ndarray:
    """IoU of integer boxes whose corners are inclusive pixel indices.

    wsolevaluation's ``calculate_multiple_iou``: areas are ``(x1 - x0 + 1)
    * (y1 - y0 + 1)``; a non-positive union gives IoU 0.

    Args:
        boxes (np.ndarray): (A, 4) boxes.
        gt_boxes (np.ndarray): (B, 4) boxes.

    Returns:
        np.ndarray: (A, B) IoUs.
    """
    a, b = boxes[:, None, :].astype(np.float64), gt_boxes[None].astype(
        np.float64)
    inter_w = np.maximum(
        0,
        np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]) +
        1)
    inter_h = np.maximum(
        0,
        np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]) +
        1)
    inter = inter_w * inter_h
    area_a = (a[..., 2] - a[..., 0] + 1) * (a[..., 3] - a[..., 1] + 1)
    area_b = (b[..., 2] - b[..., 0] + 1) * (b[..., 3] - b[..., 1] + 1)
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.)


@METRICS.register_module()
class CAMBoxAccuracy(CAMMetric):
    """Box localisation of CAMs: MaxBoxAccV2, GT-known Loc and Top-1 Loc.

    The CAM of the ground-truth class (:func:`topgap_mm.cam.compute_cams`,
    upsampled to the input and min-max normalised to [0, 1]) is turned into
    boxes exactly as wsolevaluation (Choe et al., CVPR 2020) does for
    MaxBoxAccV2: the map is quantised to ``uint8(255 * cam)``; for each CAM
    threshold ``t`` the pixels above ``int(t * max)`` form a binary map,
    every contour of which gives a box (:func:`boxes_from_binary_map`); the
    image counts as localised at ``t`` and IoU level ``d`` when one of its
    boxes overlaps one ground-truth box with IoU >= d
    (:func:`box_iou_inclusive`, corners as inclusive pixel indices).
    Ground-truth boxes come from the data samples' ``gt_object_boxes``
    (``x1 = x0 + width`` in pixels of the model input) and are truncated to
    integers, as wsolevaluation truncates its resized boxes.

    The quantisation leaves at most 256 distinct binary maps per image, so
    contours are traced once per distinct level, whatever the grid. The CAMs
    are made batched on the model's device; contour tracing runs in OpenCV
    on the CPU, as in the reference.

    Output keys (with the default prefix ``box``), accuracies in percent:

    - ``maxboxacc_v2``: the mean over ``iou_thresholds`` of the box
      accuracy at the best CAM threshold of this split (wsolevaluation's
      MaxBoxAccV2: by definition the threshold is optimised per IoU level).
    - ``maxboxacc@30``, ``maxboxacc@50``, ``maxboxacc@70`` (one per IoU
      level).
    - With a threshold chosen on held-out data (``threshold`` or
      ``threshold_from``): ``gt_known_loc`` (box accuracy at IoU
      ``loc_iou`` with the ground-truth class's CAM), ``top1_loc`` (the same
      and the top-1 prediction correct) and ``best_val_thr``.
    - ``best_threshold_on_this_split`` (at IoU ``loc_iou``; an oracle).

    Args:
        method (str): CAM method of :func:`topgap_mm.cam.compute_cams`.
            Defaults to ``'auto'``.
        method_kwargs (dict, optional): Passed to the CAM method.
        thresholds (Sequence[float], optional): Increasing CAM thresholds in
            [0, 1). Defaults to wsolevaluation's 0, 0.001, ..., 0.999.
        iou_thresholds (Sequence[int]): IoU levels in percent. Defaults to
            (30, 50, 70), MaxBoxAccV2's.
        loc_iou (int): IoU level of GT-known and Top-1 Loc, one of
            ``iou_thresholds``. Defaults to 50.
        threshold (float, optional): CAM threshold chosen on held-out data.
        threshold_from (str, optional): JSON written by ``save_curve`` on a
            validation split.
        save_curve (str, optional): Write the box accuracy per CAM threshold
            and IoU level, and ``best_threshold`` (at ``loc_iou``), here.
        max_samples (int, optional): See :class:`CAMMetric`.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Prefix of the metric names.
    """

    default_prefix = 'box'
    #: File name stem of the curve a study saves on its selection split.
    curve_file = 'box_acc_curve'

    def __init__(self,
                 method: str = 'auto',
                 method_kwargs: Optional[dict] = None,
                 thresholds: Optional[Sequence[float]] = None,
                 iou_thresholds: Sequence[int] = (30, 50, 70),
                 loc_iou: int = 50,
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
            DEFAULT_BOX_THRESHOLDS if thresholds is None else thresholds,
            dtype=np.float64)
        if (grid.ndim != 1 or grid.size < 1 or np.any(np.diff(grid) <= 0)
                or grid[0] < 0 or grid[-1] >= 1):
            raise ValueError(f'`thresholds` must be increasing values in '
                             f'[0, 1), got {thresholds!r}.')
        ious = list(iou_thresholds)
        if not ious or any(not 0 < d <= 100 for d in ious):
            raise ValueError(f'`iou_thresholds` must be IoU levels in '
                             f'percent, in (0, 100], got {iou_thresholds!r}.')
        if loc_iou not in ious:
            raise ValueError(f'`loc_iou`={loc_iou} must be one of '
                             f'`iou_thresholds`={ious}.')
        self.thresholds = grid
        self.iou_thresholds = ious
        self.loc_iou = loc_iou
        self.threshold = resolve_threshold(threshold, threshold_from, method)
        self.save_curve = save_curve

    @staticmethod
    def level_ious(cam: torch.Tensor, gt_boxes: torch.Tensor) -> dict:
        """The best box IoU at each quantisation level of one map.

        Args:
            cam (torch.Tensor): Map (H, W) in [0, 1].
            gt_boxes (torch.Tensor): (M, 4) boxes ``(x0, y0, x1, y1)``.

        Returns:
            dict: ``ious`` (256, ) float32, the highest IoU of any contour
            box with any ground-truth box when pixels above level ``L`` are
            foreground, and ``max_level``, the map's largest quantised
            value (the level of CAM threshold ``t`` is ``int(t *
            max_level)``).
        """
        # float64, as wsolevaluation quantises its float64 maps.
        quantised = (cam.detach().double() * 255).to(torch.uint8).cpu()
        quantised = quantised.numpy()
        max_level = int(quantised.max())
        gt = np.trunc(gt_boxes.detach().cpu().numpy()).astype(np.int64)
        # Level max_level and above leave no foreground: box (0, 0, 0, 0).
        boxes = [
            boxes_from_binary_map((quantised > level).astype(np.uint8) * 255)
            for level in range(max_level + 1)
        ]
        counts = np.array([len(b) for b in boxes])
        best = box_iou_inclusive(np.concatenate(boxes), gt).max(axis=1)
        ious = np.full(256, best[-1], dtype=np.float32)
        ious[:max_level + 1] = np.maximum.reduceat(
            best, np.concatenate([[0], np.cumsum(counts)[:-1]]))
        return dict(ious=ious, max_level=max_level)

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        """Keep each image's best IoU per level and whether its top-1
        prediction is right."""
        num = self.take(len(data_samples))
        if num == 0:
            return
        labels, _ = labels_and_masks(data_batch, num)
        boxes = object_boxes(data_batch, num)
        cams = self.cams(data_batch, data_samples, num, 'gt')
        for i, (cam, gt_boxes) in enumerate(zip(cams, boxes)):
            pred = sample_field(data_samples[i], 'pred_label')
            correct = None if pred is None else bool(
                torch.as_tensor(pred).view(-1)[0].item() == labels[i].item())
            self.results.append(
                dict(self.level_ious(cam, gt_boxes), correct=correct))

    def calculate(self, results: List[dict]) -> Dict[str, np.ndarray]:
        """Per image, CAM threshold and IoU level: is the image localised?

        Returns:
            dict: ``hits`` (len(iou_thresholds), N, T) bool and ``correct``
            (N, ) bool, None when the outputs carried no predictions.
        """
        ious = np.stack([r['ious'] for r in results])
        max_levels = np.array([r['max_level'] for r in results])
        levels = np.floor(self.thresholds[None] *
                          max_levels[:, None]).astype(np.int64)
        per_threshold = np.take_along_axis(ious, levels, axis=1)
        hits = np.stack([
            per_threshold >= d / 100 for d in self.iou_thresholds
        ])
        correct = None if any(r['correct'] is None for r in results) \
            else np.array([r['correct'] for r in results])
        return dict(hits=hits, correct=correct)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """MaxBoxAccV2, per-level maxima and the held-out-threshold Locs."""
        if not results:
            raise ValueError('CAMBoxAccuracy received no samples.')
        calc = self.calculate(results)
        accuracy = calc['hits'].mean(axis=1) * 100  # (levels, T)
        best = accuracy.max(axis=1)
        metrics = {'maxboxacc_v2': float(best.mean())}
        metrics.update({
            f'maxboxacc@{d}': float(b)
            for d, b in zip(self.iou_thresholds, best)
        })
        loc = self.iou_thresholds.index(self.loc_iou)
        metrics['best_threshold_on_this_split'] = float(
            self.thresholds[int(np.argmax(accuracy[loc]))])
        if self.threshold is not None:
            index = int(np.searchsorted(self.thresholds, self.threshold,
                                        side='right')) - 1
            if index < 0:
                raise ValueError(
                    f'The held-out threshold {self.threshold} is below '
                    f'the grid of `thresholds` (from {self.thresholds[0]}).')
            hits = calc['hits'][loc][:, index]
            metrics['gt_known_loc'] = float(hits.mean() * 100)
            if calc['correct'] is not None:
                metrics['top1_loc'] = float(
                    (hits & calc['correct']).mean() * 100)
            metrics['best_val_thr'] = self.threshold
        if self.save_curve is not None:
            write_curve(
                self.save_curve,
                dict(
                    metric=type(self).__name__,
                    method=self.method,
                    num_images=len(results),
                    thresholds=self.thresholds.tolist(),
                    box_accuracy={
                        str(d): acc.tolist()
                        for d, acc in zip(self.iou_thresholds, accuracy)
                    },
                    loc_iou=self.loc_iou,
                    best_threshold=metrics['best_threshold_on_this_split']))
        return metrics
