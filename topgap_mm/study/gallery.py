"""A CAM gallery of a study: every map it scored, on the same test images.

The images are chosen reproducibly from the first images of the first test
split: the best, the median and the worst by the IoU of the first pair's
Top-GAP map, and a few drawn at random with a fixed seed. Every map is
computed by the package's own CAM code (:func:`batch_cams`) from the runs'
checkpoints of the study's first seed, and binarised at the threshold its
run chose on the selection split (the ``best_threshold`` of its
``cam_iou_curve_*.json``, the file its test evaluation read through
``threshold_from``).
"""
import json
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
import torch.nn as nn
from mmengine.dataset import pseudo_collate
from mmseg.evaluation import IoUMetric

from ..analysis import build_classifier, build_test_dataset, load_config
from ..cam import resolve_method
from ..datasets.mask_conventions import IGNORE_INDEX
from ..evaluation.batch_cams import batch_cams, pixel_images
from ..evaluation.ground_truth import labels_and_masks
from ..evaluation.metrics.cam_iou import CAMIoU
from .figures import plot_cam_gallery
from .runner import baseline_prefix, curve_path, trained_checkpoint
from .spec import Run, StudySpec
from .verdicts import NO_IMAGE_BASELINES

#: Baselines left out of the gallery: a constant map shows nothing.
UNDRAWN = ('uniform', )


@dataclass
class MapSource:
    """One column of the gallery.

    Attributes:
        label (str): Column title.
        run (Run): The run whose checkpoint and val threshold it uses.
        method (str): CAM method of :func:`topgap_mm.cam.compute_cams`.
        curve_file (str): The run's curve JSON with the val threshold.
    """
    label: str
    run: Run
    method: str
    curve_file: str


def _cam_iou(metrics: List[Dict]) -> Optional[Dict]:
    return next((m for m in metrics if m['type'] == 'CAMIoU'), None)


def map_sources(spec: StudySpec, runs: List[Run], regime: str,
                selected_k: Dict[str, Dict], seed: int,
                run_dir: Callable[[Run], str]) -> List[MapSource]:
    """The gallery's columns for one regime and seed: each pair's Top-GAP
    map and its peers' own maps, each twin's own map and its post-hoc
    baselines (once per twin run), then the maps that look at no image
    (once).

    Args:
        spec (StudySpec): The study.
        runs (list[Run]): Its runs.
        regime (str): The regime.
        selected_k (dict): Pair -> seed (str) -> the k chosen on val.
        seed (int): The seed whose runs are drawn.
        run_dir (Callable[[Run], str]): A run's directory.

    Returns:
        list[MapSource]: The columns; empty without a CAMIoU metric.
    """
    own = _cam_iou(spec.twin_metrics)
    mine = _cam_iou(spec.topgap_metrics)
    base = _cam_iou(spec.baseline_metrics)
    peer_map = _cam_iou(spec.peer_metrics)
    stem = CAMIoU.curve_file
    sources, twins = [], []
    for pair in spec.pairs:
        name = pair['name']
        k = selected_k.get(name, {}).get(str(seed))
        topgap = next(r for r in runs if r.regime == regime and r.pair == name
                      and r.model == 'topgap' and r.seed == seed and r.k == k)
        if mine is not None:
            sources.append(MapSource(
                f'{name} Top-GAP', topgap, mine.get('method', 'auto'),
                curve_path(run_dir(topgap), stem, mine.get('prefix'))))
        for peer in pair['peers'] if peer_map is not None else ():
            run = next(r for r in runs if r.regime == regime and r.pair == name
                       and r.model == peer and r.seed == seed)
            sources.append(MapSource(
                f'{name} {peer}', run, peer_map.get('method', 'auto'),
                curve_path(run_dir(run), stem, peer_map.get('prefix'))))
        twin = next(r for r in runs if r.regime == regime and r.serves(name)
                    and r.model == 'twin' and r.seed == seed)
        if twin.name not in [t.name for t in twins]:
            twins.append(twin)
    for twin in twins:
        if own is not None:
            sources.append(MapSource(
                f'{twin.pair} twin', twin, own.get('method', 'auto'),
                curve_path(run_dir(twin), stem, own.get('prefix'))))
        if base is None:
            continue
        for method in spec.baselines:
            if method in NO_IMAGE_BASELINES and twin is not twins[0]:
                continue
            if method in UNDRAWN:
                continue
            label = method if method in NO_IMAGE_BASELINES else \
                f'{twin.pair} twin {method}'
            sources.append(MapSource(
                label, twin, method,
                curve_path(run_dir(twin), stem,
                           baseline_prefix(method, base))))
    return sources


def val_threshold(curve_file: str) -> Optional[float]:
    """The ``best_threshold`` a run chose on val, None if it has none."""
    if not osp.isfile(curve_file):
        return None
    with open(curve_file) as f:
        value = json.load(f).get('best_threshold')
    return None if value is None else float(value)


def image_ious(cams: torch.Tensor, masks: List[torch.Tensor],
               threshold: Optional[float]) -> List[Optional[float]]:
    """Each image's IoU (percent) of ``cams >= threshold`` with its
    object, as CAMIoU counts it (mmseg's ``intersect_and_union``, ignored
    pixels left out)."""
    if threshold is None:
        return [None] * len(masks)
    ious = []
    for cam, mask in zip(cams, masks):
        intersect, union, _, _ = IoUMetric.intersect_and_union(
            (cam >= threshold).long(), mask.to(cam.device).long(),
            num_classes=2, ignore_index=IGNORE_INDEX)
        ious.append(float(intersect[1] / union[1] * 100)
                    if union[1] > 0 else None)
    return ious


def choose_images(ious: List[Optional[float]], num_random: int,
                  seed: int = 0) -> List[Dict]:
    """The best, median and worst image by IoU, then ``num_random`` others
    drawn with ``seed``.

    Returns:
        list[dict]: Per image its ``index`` (in ``ious``) and ``reason``.
    """
    scored = sorted((iou, i) for i, iou in enumerate(ious) if iou is not None)
    if not scored:
        raise ValueError('No image of the gallery\'s pool has an object to '
                         'score a map on.')
    picks = {}
    for reason, (_, index) in (('best', scored[-1]),
                               ('median', scored[len(scored) // 2]),
                               ('worst', scored[0])):
        picks.setdefault(index, reason)
    rest = [i for _, i in scored if i not in picks]
    rng = np.random.default_rng(seed)
    drawn = rng.choice(rest, size=min(num_random, len(rest)), replace=False)
    for index in sorted(int(i) for i in drawn):
        picks[index] = 'random'
    return [dict(index=i, reason=r) for i, r in picks.items()]


def build_gallery(spec: StudySpec, runs: List[Run], report: Dict,
                  regime: str, work_dir: str, out_file: str,
                  pool: int = 200, num_random: int = 3,
                  device: str = 'cpu') -> Dict:
    """Draw the gallery of one regime into ``out_file``.

    Args:
        spec (StudySpec): The study.
        runs (list[Run]): Its runs.
        report (dict): Its report (for the k chosen per seed).
        regime (str): The regime.
        work_dir (str): The study's work directory.
        out_file (str): The PNG to write.
        pool (int): How many of the split's first images the best, median
            and worst are chosen from. Defaults to 200.
        num_random (int): How many further images are drawn from the pool
            (seeded). Defaults to 3.
        device (str): Device of the models. Defaults to ``'cpu'``.

    Returns:
        dict: ``split``, ``seed``, ``pool``, ``maps`` (each ``label``,
        ``run``, ``method``, ``threshold`` and ``curve_file``),
        ``images`` (each ``index``, ``reason``, ``label`` and the IoU of
        every map), ``drawn`` (whether ``out_file`` was written) and
        ``notes`` (what is missing and why).
    """
    split, seed = spec.test_splits[0], spec.seeds[0]
    selected = {
        pair: entry['selected_k']
        for pair, entry in report['regimes'][regime].items()
    }
    sources = map_sources(spec, runs, regime, selected, seed,
                          lambda run: osp.join(work_dir, run.name))
    result = dict(split=split, seed=seed, pool=pool, maps=[], images=[],
                  drawn=False, notes=[])
    if not sources:
        result['notes'].append('The study scores no map with CAMIoU.')
        return result
    models = _load_models(sources, work_dir, device, result['notes'])
    if sources[0].run.name not in models:
        result['notes'].append(
            f'The images are chosen by the maps of {sources[0].label}, '
            'whose run is missing: no gallery.')
        return result
    sources = [s for s in sources if s.run.name in models]
    eval_cfg = osp.join(work_dir, sources[0].run.name, f'eval_{split}.py')
    if not osp.isfile(eval_cfg):
        result['notes'].append(f'{eval_cfg} is missing: the run was not '
                               f'evaluated on {split}, no gallery.')
        return result
    dataset = build_test_dataset(load_config(eval_cfg))
    for source in sources:
        method = resolve_method(models[source.run.name], source.method)
        if source.method == 'auto' and method != 'topgap':
            source.label += f' {method}'
        result['maps'].append(dict(
            label=source.label,
            run=source.run.name,
            method=method,
            threshold=val_threshold(source.curve_file),
            curve_file=osp.relpath(source.curve_file, work_dir)))
    thresholds = [m['threshold'] for m in result['maps']]
    ranked = _rank_pool(models[sources[0].run.name], sources[0], dataset,
                        pool, thresholds[0])
    result['images'] = choose_images(ranked, num_random)
    _draw(models, sources, thresholds, dataset, result['images'], out_file)
    result['drawn'] = True
    return result


def _load_models(sources: List[MapSource], work_dir: str, device: str,
                 notes: List[str]) -> Dict[str, nn.Module]:
    """The trained model of every source's run, by run name; a run
    without its config or checkpoint is named in ``notes``."""
    models: Dict[str, nn.Module] = {}
    missing = set()
    for source in sources:
        name = source.run.name
        if name in models or name in missing:
            continue
        run_dir = osp.join(work_dir, name)
        try:
            cfg = load_config(osp.join(run_dir, 'train_config.py'))
            models[name] = build_classifier(cfg, trained_checkpoint(run_dir),
                                            device)
        except FileNotFoundError as error:
            missing.add(name)
            notes.append(f'No maps of run {name}: {error}.')
    return models


def _gt_maps(model: nn.Module, batch: Dict,
             source: MapSource) -> torch.Tensor:
    with torch.no_grad():
        return batch_cams(model, batch, len(batch['inputs']), source.method,
                          'gt')


def _rank_pool(model: nn.Module, source: MapSource, dataset, pool: int,
               threshold: float) -> List[Dict]:
    """The IoU of ``source``'s map at ``threshold`` on each of the
    split's first ``pool`` images, as :func:`choose_images` ranks them."""
    ranked = []
    for start in range(0, min(pool, len(dataset)), 32):
        batch = pseudo_collate([
            dataset[i]
            for i in range(start, min(start + 32, pool, len(dataset)))
        ])
        _, masks = labels_and_masks(batch, len(batch['inputs']),
                                    with_labels=False, with_masks=True)
        ranked += image_ious(_gt_maps(model, batch, source), masks, threshold)
    return ranked


def _draw(models: Dict[str, nn.Module], sources: List[MapSource],
          thresholds: List[float], dataset, chosen: List[Dict],
          out_file: str) -> None:
    """Every source's maps of the ``chosen`` images into ``out_file``;
    each pick gets its label and the IoU of every map."""
    batch = pseudo_collate([dataset[c['index']] for c in chosen])
    labels, masks = labels_and_masks(batch, len(chosen), with_masks=True)
    model = models[sources[0].run.name]
    images = (pixel_images(model, batch, len(chosen)) * 255).round().byte()
    columns = []
    for source, threshold in zip(sources, thresholds):
        cams = _gt_maps(models[source.run.name], batch, source)
        columns.append(dict(
            label=source.label, threshold=threshold,
            maps=list(cams.cpu().numpy()),
            ious=image_ious(cams, masks, threshold)))
    classes = dataset.metainfo.get('classes')
    for row, pick in enumerate(chosen):
        label = int(labels[row])
        pick.update(
            label=str(classes[label]) if classes else str(label),
            ious=[col['ious'][row] for col in columns])
    plot_cam_gallery(
        list(images.permute(0, 2, 3, 1).cpu().numpy()),
        [m.cpu().numpy() for m in masks], columns,
        [f'{c["reason"]} #{c["index"]}\n{c["label"]}' for c in chosen],
        out_file)
