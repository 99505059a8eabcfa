"""The grid pointing game of CoDA-Nets and B-cos networks: localisation
without masks or boxes, on any classification dataset."""
import heapq
import numbers
from itertools import count
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmengine.logging import MMLogger

from mmpretrain.registry import METRICS
from ...cam import SIGNED_METHODS, compute_cams, resolve_method
from ..batch_cams import preprocess
from ..ground_truth import labels_and_masks, sample_field
from .model_metric import ModelMetric


def grid_blocks(ranked: Sequence[Sequence[int]],
                cells: int,
                max_grids: Optional[int] = None,
                seed: int = 42) -> List[List[int]]:
    """The images of each grid, drawn as B-cos' localisation analysis does.

    Each round draws ``cells`` distinct classes at random among those with
    an image left, and takes each drawn class's most confident image not yet
    used. The draws are those of ``np.random.seed(seed)`` followed by
    ``np.random.choice`` over the classes still available, as in the
    reference, so the same model and split give the same grids. The
    reference stops while more than ``cells`` classes remain; here rounds
    go on while ``cells`` classes remain, so that a dataset with exactly as
    many classes as cells forms grids (the grids the reference forms come
    first, unchanged).

    Args:
        ranked (Sequence[Sequence[int]]): Per class (by index), its
            qualifying images, most confident first.
        cells (int): Images per grid.
        max_grids (int, optional): Stop after this many grids.
        seed (int): Seed of the class draws.

    Returns:
        list[list[int]]: Per grid, its images in cell order.
    """
    classes = np.arange(len(ranked))
    used = np.zeros(len(ranked), dtype=np.int64)
    available = np.array([len(images) > 0 for images in ranked])
    rng = np.random.RandomState(seed)
    blocks = []
    while available.sum() >= cells and (max_grids is None
                                        or len(blocks) < max_grids):
        block = []
        for cls in rng.choice(classes[available], size=cells, replace=False):
            block.append(ranked[cls][used[cls]])
            used[cls] += 1
            available[cls] = used[cls] < len(ranked[cls])
        blocks.append(block)
    return blocks


def make_grid(images: torch.Tensor, grid_size: int) -> torch.Tensor:
    """Tile ``grid_size ** 2`` images (cells, C, H, W) into one image.

    Image k goes to row ``k % grid_size`` and column ``k // grid_size``,
    the layout of the reference (its ``make_multi_image``), which
    :meth:`GridPointingGame.calculate` reads back.
    """
    _, channels, height, width = images.shape
    # (column, row, C, H, W) -> (C, row, H, column, W).
    tiles = images.view(grid_size, grid_size, channels, height, width)
    return tiles.permute(2, 1, 3, 0, 4).reshape(channels, height * grid_size,
                                                width * grid_size)


@METRICS.register_module()
class GridPointingGame(ModelMetric):
    """Grid pointing game (Böhle et al.: CoDA-Nets, CVPR 2021; B-cos
    networks, CVPR 2022 and TPAMI 2024).

    Images of distinct classes, each classified correctly with a confidence
    (its ``pred_score``) above ``confidence_threshold``, are tiled into a
    ``grid_size`` x ``grid_size`` grid. For each cell the map of that
    cell's class is computed on the whole grid image by any method of
    :func:`topgap_mm.cam.compute_cams`, and scored by the share of its
    positive mass that lies in that cell. A map that cannot tell the
    classes apart spreads its mass evenly and scores ``1 / grid_size ** 2``
    (25% on 2x2, 11.1% on 3x3): the floor any method must clear. The score
    is the mean over all grids and cells, in percent.

    Grids are drawn as in B-cos' ``interpretability/analyses/
    localisation.py``: per class the qualifying images are ranked by
    confidence, and each grid takes the next image of ``grid_size ** 2``
    classes drawn at random with ``seed`` (:func:`grid_blocks`), from the
    images the metric has seen (see ``max_samples``). Each grid is one
    such draw (the reference starts each later grid one image past the end
    of the previous one, which skips an image and mixes draws). The
    reference's confidence is the sigmoid of the top logit, the probability
    of its binary cross-entropy models; here it is the model's own
    ``pred_score``. Its optional rescaling of the images to fit the grid
    into one input size is not done: the grid is ``grid_size`` times the
    input size, as in its default configurations. The score reads each
    map's positive mass, as the reference reads positive attributions: the
    signed maps (Top-GAP's native CAM and the original CAM,
    :data:`topgap_mm.cam.SIGNED_METHODS`) are computed with
    ``positive_part=True``, the others are 0 or more already (GradCAM and
    its kin after their ReLU, B-cos' positive contributions); min-maxed to
    [0, 1], a map that is 0 somewhere keeps its raw shape up to a scale,
    which the score ignores. Without it, the scaling would lift a signed
    map's background by its most negative value. A constant map
    normalises to zeros and is scored as the constant it was: evenly
    spread. The metric keeps the (uint8) images that qualify, at most
    ``max_grids`` per class, until the grids are scored.

    Output keys (with the default prefix ``grid_pointing``): ``score`` and
    ``num_grids``.

    Args:
        method (str): CAM method of :func:`topgap_mm.cam.compute_cams`.
            Defaults to ``'auto'``.
        method_kwargs (dict, optional): Passed to the CAM method.
        grid_size (int): Cells per side. Defaults to 3, as B-cos' default
            configuration (its ImageNet example uses 2).
        confidence_threshold (float): An image qualifies when its
            confidence exceeds this value, in [0, 1]. Defaults to 0.5, as
            in B-cos.
        max_grids (int, optional): Score at most this many grids; ``None``
            as many as can be formed. Each class keeps only the images this
            many grids can use. Defaults to 500, as in B-cos.
        smooth (int): Kernel size of the average pooling applied to the
            maps before scoring, odd; 1 is none. Defaults to 1.
        seed (int): Seed of the class draws. Defaults to 42, as in B-cos.
        batch_size (int): Images per call of the CAM method. Defaults to 64.
        max_samples (int, optional): See :class:`ModelMetric`.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Prefix of the metric names.

    Examples:
        >>> import torch
        >>> from topgap_mm.evaluation.metrics import GridPointingGame
        >>> # Cell k of a 2x2 grid lies at row k % 2, column k // 2.
        >>> maps = torch.zeros(1, 4, 4, 4)
        >>> maps[0, 0, :2, :2] = 1  # all of map 0 in its cell
        >>> maps[0, 1, :2, :2] = 1  # half of map 1 in its cell (row 1)
        >>> maps[0, 1, 2:, :2] = 1
        >>> maps[0, 2] = 1  # evenly spread
        >>> GridPointingGame.calculate(maps, grid_size=2)
        tensor([[1.0000, 0.5000, 0.2500, 0.0000]], dtype=torch.float64)
    """

    default_prefix = 'grid_pointing'

    def __init__(self,
                 method: str = 'auto',
                 method_kwargs: Optional[dict] = None,
                 grid_size: int = 3,
                 confidence_threshold: float = 0.5,
                 max_grids: Optional[int] = 500,
                 smooth: int = 1,
                 seed: int = 42,
                 batch_size: int = 64,
                 max_samples: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(
            max_samples=max_samples,
            collect_device=collect_device,
            prefix=prefix)
        if not _is_int(grid_size) or grid_size < 2:
            raise ValueError(f'`grid_size` must be an int >= 2 (cells per '
                             f'side of the grid), got {grid_size!r}.')
        if (not isinstance(confidence_threshold, numbers.Real)
                or isinstance(confidence_threshold, bool)
                or not 0 <= confidence_threshold <= 1):
            raise ValueError(f'`confidence_threshold` must be a number in '
                             f'[0, 1], got {confidence_threshold!r}.')
        if max_grids is not None and (not _is_int(max_grids) or max_grids < 1):
            raise ValueError(f'`max_grids` must be a positive int or None, '
                             f'got {max_grids!r}.')
        _check_smooth(smooth)
        if not _is_int(seed):
            raise ValueError(f'`seed` must be an int, got {seed!r}.')
        if not _is_int(batch_size) or batch_size < 1:
            raise ValueError(f'`batch_size` must be an int >= 1, got '
                             f'{batch_size!r}.')
        self.method = method
        self.method_kwargs = method_kwargs or {}
        self.grid_size = grid_size
        self.confidence_threshold = float(confidence_threshold)
        self.max_grids = max_grids
        self.smooth = smooth
        self.seed = seed
        self.batch_size = batch_size
        self._kept: Dict[int, list] = {}
        self._order = count()

    @staticmethod
    def calculate(maps: torch.Tensor,
                  grid_size: int,
                  smooth: int = 1) -> torch.Tensor:
        """Share of each map's positive mass in its own cell.

        Follows the score of B-cos' ``LocalisationAnalyser.analysis``:
        optional average pooling, negative values set to 0, mass summed per
        cell; a map without positive mass in its cell scores 0.

        Args:
            maps (torch.Tensor): (G, cells, H, W): per grid, the map of the
                class of each cell, in cell order (cell k at row
                ``k % grid_size``, column ``k // grid_size``); H and W
                divisible by ``grid_size``.
            grid_size (int): Cells per side.
            smooth (int): Odd kernel size of the average pooling; 1 is
                none.

        Returns:
            torch.Tensor: (G, cells) shares in [0, 1], float64.
        """
        _check_smooth(smooth)
        cells = grid_size**2
        if maps.dim() != 4 or maps.shape[1] != cells:
            raise ValueError(f'`maps` must be (grids, {cells}, H, W) for a '
                             f'{grid_size}x{grid_size} grid, got '
                             f'{tuple(maps.shape)}.')
        num, _, height, width = maps.shape
        if height % grid_size or width % grid_size:
            raise ValueError(f'The maps ({height}x{width}) must divide into '
                             f'{grid_size}x{grid_size} equal cells.')
        if smooth > 1:
            maps = F.avg_pool2d(
                maps, smooth, stride=1, padding=(smooth - 1) // 2)
        cell_h, cell_w = height // grid_size, width // grid_size
        positive = maps.clamp(min=0).double()
        mass = positive.view(num, cells, grid_size, cell_h, grid_size,
                             cell_w).sum((3, 5))
        # (row, column) -> cell k = column * grid_size + row.
        mass = mass.transpose(2, 3).flatten(2)
        own = mass.diagonal(dim1=1, dim2=2)
        total = mass.sum(2)
        return torch.where(own > 0, own / total.clamp_min(1e-300),
                           torch.zeros_like(own))

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        num = self.take(len(data_samples))
        if num == 0:
            return
        labels, _ = labels_and_masks(data_batch, num)
        for image, label, sample in zip(data_batch['inputs'], labels.tolist(),
                                        data_samples):
            score = sample_field(sample, 'pred_score')
            if score is None:
                raise ValueError('GridPointingGame needs `pred_score` in the '
                                 "model's outputs (a classification head's "
                                 'predictions).')
            score = torch.as_tensor(score).flatten()
            confidence, pred = score.max(0)
            result = dict(
                label=label,
                confidence=float(confidence),
                num_classes=score.numel(),
                qualifies=int(pred) == label
                and float(confidence) > self.confidence_threshold,
                image=None)
            if result['qualifies']:
                result['image'] = image.detach().cpu().clone()
                self._keep(result)
            self.results.append(result)

    def _keep(self, result: dict) -> None:
        """Keep the image of ``result`` only while it is among the
        ``max_grids`` most confident of its class: no grid can use more."""
        if self.max_grids is None:
            return
        kept = self._kept.setdefault(result['label'], [])
        # Among equal confidences the later image goes first, as the
        # reference's stable sort ranks it after the earlier.
        heapq.heappush(kept,
                       (result['confidence'], -next(self._order), result))
        if len(kept) > self.max_grids:
            heapq.heappop(kept)[2]['image'] = None

    def evaluate(self, size: int) -> dict:
        metrics = super().evaluate(size)
        self._kept, self._order = {}, count()
        return metrics

    def compute_metrics(self,
                        results: List[Optional[dict]]) -> Dict[str, float]:
        results = [r for r in results if r is not None]
        if not results:
            raise ValueError('GridPointingGame received no samples.')
        num_classes, cells = results[0]['num_classes'], self.grid_size**2
        if cells > num_classes:
            raise ValueError(
                f'`grid_size`={self.grid_size} needs {cells} images of '
                f'distinct classes per grid, and the model has '
                f'{num_classes} classes; use a smaller `grid_size`.')
        ranked = [[] for _ in range(num_classes)]
        for position, result in enumerate(results):
            if result['image'] is not None:
                ranked[result['label']].append(
                    (result['confidence'], position))
        ranked = [[p for _, p in sorted(c, key=lambda x: -x[0])]
                  for c in ranked]
        blocks = grid_blocks(ranked, cells, self.max_grids, self.seed)
        if not blocks:
            # A model that classifies too few images confidently (one near
            # chance, say) is a result to report, not a reason to stop the
            # rest of the evaluation: no score, and the reason in the log.
            found = [0] * num_classes
            for result in results:
                found[result['label']] += result['qualifies']
            MMLogger.get_current_instance().warning(
                f'GridPointingGame formed no {self.grid_size}x'
                f'{self.grid_size} grid, so it gives no score: it needs '
                f'images of {cells} classes classified correctly with a '
                f'confidence above `confidence_threshold`='
                f'{self.confidence_threshold}, and found {sum(found)} such '
                f'images of {len(results)}, in {sum(f > 0 for f in found)} '
                f'classes (per class: {found}).')
            return dict(num_grids=0)
        sizes = {tuple(results[p]['image'].shape) for b in blocks for p in b}
        if len(sizes) != 1:
            raise ValueError(
                f'GridPointingGame tiles images of one size, got the sizes '
                f'{sorted(sizes)}; give the test pipeline a fixed-size '
                f'resize or crop.')
        grids = [
            make_grid(
                torch.stack([results[p]['image']
                             for p in block]), self.grid_size)
            for block in blocks
        ]
        targets = [[results[p]['label'] for p in block] for block in blocks]
        shares = self.calculate(
            self.grid_maps(self.model, grids, targets), self.grid_size,
            self.smooth)
        return dict(score=float(shares.mean()) * 100, num_grids=len(blocks))

    def grid_maps(self, model: nn.Module, grids: List[torch.Tensor],
                  targets: List[List[int]]) -> torch.Tensor:
        """Maps (G, cells, H, W) of each grid for each of its cells' classes.

        The grids are images the dataloader never gave, so their maps are
        computed here rather than taken from the batch's shared maps.
        """
        cells = self.grid_size**2
        per_call = max(1, self.batch_size // cells)
        kwargs = dict(self.method_kwargs)
        if resolve_method(model, self.method) in SIGNED_METHODS:
            kwargs.setdefault('positive_part', True)
        maps = []
        for start in range(0, len(grids), per_call):
            chunk = grids[start:start + per_call]
            inputs = [grid for grid in chunk for _ in range(cells)]
            classes = torch.tensor(
                [c for t in targets[start:start + per_call] for c in t])
            data = preprocess(model, dict(inputs=inputs), len(inputs))
            chunk_maps = compute_cams(
                model,
                data['inputs'],
                method=self.method,
                target=classes,
                **kwargs).detach().cpu()
            # A constant map normalises to zeros; it spreads its mass evenly.
            constant = chunk_maps.flatten(1).amax(1) == 0
            chunk_maps[constant] = 1
            maps.append(
                chunk_maps.view(len(chunk), cells, *chunk_maps.shape[-2:]))
        return torch.cat(maps)


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_smooth(smooth) -> None:
    if not _is_int(smooth) or smooth < 1 or smooth % 2 == 0:
        raise ValueError(f'`smooth` must be an odd int >= 1 (the kernel size '
                         f'of the average pooling; 1 is none), got '
                         f'{smooth!r}.')
