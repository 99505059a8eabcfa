"""Object sizes of a training split on a config's CAM grid, and the k they
suggest.

Top-GAP lets each class use k positions of its map, and the paper sets k
near the objects' size on the CAM grid (then searches around it). This
reads the object masks (or, without masks, the boxes) of the training
split, through the config's test pipeline (deterministic, the input size
the model sees), and counts how many CAM positions each object covers.
"""
import copy
from typing import Dict, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmpretrain.registry import DATASETS
from ..datasets.mask_conventions import IGNORE_INDEX

#: Quantiles of the object areas that are printed.
QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
#: Ratio of the 90% to the 10% quantile above which one k fits badly.
WIDE_SPREAD = 4.0


def training_split_with_test_pipeline(cfg: Config):
    """The config's training dataset, with the test pipeline."""
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset_cfg['pipeline'] = copy.deepcopy(
        cfg.test_dataloader.dataset.get('pipeline', []))
    return DATASETS.build(dataset_cfg)


def object_fractions(dataset, num_samples: Optional[int] = None
                     ) -> np.ndarray:
    """The share of each image that its object covers.

    The object is the sample's mask where it has one; pixels marked ignore
    (255) then count neither as object nor as image. A sample without a
    mask is measured by the union of its boxes (pixels whose centre lies in
    a box), which is larger than the object itself: a bird fills about
    half of its box.

    Args:
        dataset: A dataset whose packed samples carry ``gt_object_mask`` or
            ``gt_object_boxes``.
        num_samples (int, optional): The first this many samples; None
            takes all.

    Returns:
        np.ndarray: (N, ) fractions in [0, 1].

    Raises:
        ValueError: If a sample has neither a mask nor boxes.
    """
    return measure_objects(dataset, num_samples)[0]


def measure_objects(dataset, num_samples: Optional[int] = None
                    ) -> Tuple[np.ndarray, str]:
    """:func:`object_fractions` and what they were measured on:
    ``'masks'``, ``'boxes'`` or ``'masks and boxes'`` (each sample by its
    mask where it has one)."""
    num = len(dataset) if num_samples is None else min(num_samples,
                                                       len(dataset))
    fractions, sources = [], set()
    for i in range(num):
        packed = dataset[i]
        sample = packed['data_samples']
        if 'gt_object_mask' in sample:
            mask = torch.as_tensor(sample.gt_object_mask)
            valid = (mask != IGNORE_INDEX).sum().item()
            fractions.append((mask == 1).sum().item() / max(valid, 1))
            sources.add('masks')
        elif 'gt_object_boxes' in sample:
            height, width = packed['inputs'].shape[-2:]
            fractions.append(
                box_union_area(sample.gt_object_boxes, height, width) /
                (height * width))
            sources.add('boxes')
        else:
            raise ValueError(
                f'{type(dataset).__name__} gives neither object masks '
                f'(`gt_object_mask`) nor boxes (`gt_object_boxes`): '
                f'suggest_k needs one of them. Use a dataset with masks '
                f'(CUBWithMasks with segmentations.tgz, '
                f'OxfordIIITPetWithMasks, COCOSingleObject, '
                f'FashionBackgroundsDataset) and PackMaskedInputs, or add '
                f'LoadObjectBoxes to the pipeline of one with boxes.')
    return (np.asarray(fractions, dtype=np.float64),
            ' and '.join(sorted(sources)))


def box_union_area(boxes: torch.Tensor, height: int, width: int) -> int:
    """Pixels of a ``height`` x ``width`` image whose centre lies in one of
    the ``(x0, y0, x1, y1)`` boxes."""
    centres_y = torch.arange(height, dtype=torch.float64) + 0.5
    centres_x = torch.arange(width, dtype=torch.float64) + 0.5
    covered = torch.zeros(height, width, dtype=torch.bool)
    for x0, y0, x1, y1 in torch.as_tensor(boxes,
                                          dtype=torch.float64).reshape(-1, 4):
        rows = (centres_y >= y0) & (centres_y < y1)
        cols = (centres_x >= x0) & (centres_x < x1)
        covered |= rows[:, None] & cols[None, :]
    return int(covered.sum())


@torch.no_grad()
def cam_grid(model: nn.Module, dataset) -> Tuple[int, int]:
    """Height and width of the CAM the model makes of the dataset's input.

    Raises:
        ValueError: If the model has no Top-GAP head.
    """
    head = getattr(model, 'head', None)
    if not hasattr(head, 'forward_cam'):
        raise ValueError(
            f'The model\'s head ({type(head).__name__}) makes no CAM of its '
            f'own: suggest_k needs a Top-GAP config (TopGAPClsHead).')
    batch = model.data_preprocessor(pseudo_collate([dataset[0]]), False)
    cam = head.forward_cam(model.extract_feat(batch['inputs']))
    return tuple(cam.shape[-2:])


def suggest_k(fractions: np.ndarray, grid: Tuple[int, int]) -> Dict:
    """The distribution of object areas on the CAM grid and the k it
    suggests: the median object's area, in positions and as a fraction.

    Args:
        fractions (np.ndarray): Object share of every image.
        grid (tuple[int, int]): CAM height and width.

    Returns:
        dict: ``grid``, ``area``, ``num_images``, ``quantiles`` (q ->
        fraction and positions), ``k`` (int), ``fraction`` (float) and
        ``wide`` (whether one k fits the sizes badly).
    """
    if len(fractions) == 0:
        raise ValueError('No images to measure.')
    area = grid[0] * grid[1]
    quantiles = {
        q: dict(fraction=float(np.quantile(fractions, q)),
                positions=float(np.quantile(fractions, q) * area))
        for q in QUANTILES
    }
    median = quantiles[0.5]['fraction']
    low, high = quantiles[0.1]['fraction'], quantiles[0.9]['fraction']
    return dict(
        grid=list(grid),
        area=area,
        num_images=len(fractions),
        quantiles=quantiles,
        k=max(1, int(round(median * area))),
        fraction=round(median, 4),
        wide=bool(low == 0 or high / low > WIDE_SPREAD))


def format_suggestion(result: Dict) -> str:
    """The report of :func:`suggest_k` as a person reads it."""
    h, w = result['grid']
    lines = [
        f'Object area of {result["num_images"]} training images on the '
        f'{h}x{w} CAM grid ({result["area"]} positions)' +
        (f', measured on their {result["source"]}:'
         if result.get('source') else ':'), '',
        '| quantile | share of the image | CAM positions |', '|---|---|---|'
    ]
    for q, v in result['quantiles'].items():
        lines.append(f'| {q:.0%} | {v["fraction"]:.3f} | '
                     f'{v["positions"]:.1f} |')
    lines += [
        '', f'Suggested k = {result["k"]} (fraction {result["fraction"]}): '
        'the median object\'s area on the CAM grid. Top-GAP lets each class '
        'use k positions, so a k near the object size lets the map cover '
        'the object and no more; search around it on held-out data (a '
        'study\'s k_grid).'
    ]
    if 'boxes' in result.get('source', ''):
        lines.append(
            'Boxes are larger than the objects they frame, so this k is '
            'an upper end of the range to search.')
    if result['wide']:
        lines.append(
            'The sizes vary widely (the 90% quantile is more than '
            f'{WIDE_SPREAD:g}x the 10%): one k fits the small and the large '
            'objects badly.')
    lines += ['', f'--cfg-options model.head.k={result["k"]}']
    return '\n'.join(lines)
