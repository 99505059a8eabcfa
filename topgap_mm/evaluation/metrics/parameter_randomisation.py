"""A sanity check of CAMs: cascading model-parameter randomisation."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

from mmpretrain.registry import METRICS
from ...cam import compute_cams
from ..batch_cams import preprocess
from ..ground_truth import labels_and_masks
from .cam_metric import CAMMetric


def _has_parameters(module: nn.Module) -> bool:
    return any(True for _ in module.parameters())


def randomisation_levels(model: nn.Module) -> List[str]:
    """The default cascade of an ``ImageClassifier``, from the top down.

    The head, the neck (when it has parameters), then the backbone's
    children that have parameters, last first. A backbone that wraps one
    module (MMPretrain's ``TIMMBackbone``) is looked into until a module has
    several such children.

    Returns:
        list[str]: Dotted module names.
    """
    levels = [
        name for name in ('head', 'neck')
        if getattr(model, name, None) is not None
        and _has_parameters(getattr(model, name))
    ]
    prefix, module = 'backbone', model.backbone
    while True:
        children = [(n, c) for n, c in module.named_children()
                    if _has_parameters(c)]
        if len(children) != 1:
            break
        name, module = children[0]
        prefix = f'{prefix}.{name}'
    levels += [f'{prefix}.{name}' for name, _ in reversed(children)]
    if not levels:
        raise ValueError('The model has no parameters to randomise.')
    return levels


def randomise(module: nn.Module, seed: int) -> None:
    """Re-initialise every layer of ``module`` by its ``reset_parameters``
    (BatchNorm's running statistics included), with a fixed seed, so every
    process randomises alike."""
    devices = [p.device.index for p in module.parameters() if p.is_cuda][:1]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        for layer in module.modules():
            if hasattr(layer, 'reset_parameters'):
                layer.reset_parameters()


def average_ranks(values: torch.Tensor) -> torch.Tensor:
    """Ranks (0-based) of each row's values, ties given their mean rank."""
    ordered = values.sort(dim=1).values
    low = torch.searchsorted(ordered, values, right=False)
    high = torch.searchsorted(ordered, values, right=True)
    return (low + high - 1).double() / 2


def spearman(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Spearman rank correlation of each pair of rows of (N, P) tensors.

    Ties get their mean rank (as ``scipy.stats.spearmanr``). A row that is
    constant has no order: two constant rows are the same map and
    correlate 1, a constant row against another correlates 0.
    """
    ra, rb = average_ranks(a), average_ranks(b)
    ra = ra - ra.mean(dim=1, keepdim=True)
    rb = rb - rb.mean(dim=1, keepdim=True)
    var_a, var_b = (ra**2).sum(dim=1), (rb**2).sum(dim=1)
    corr = (ra * rb).sum(dim=1) / (var_a * var_b).sqrt().clamp_min(1e-300)
    flat_a, flat_b = var_a == 0, var_b == 0
    corr = torch.where(flat_a | flat_b, torch.zeros_like(corr), corr)
    return torch.where(flat_a & flat_b, torch.ones_like(corr), corr)


@METRICS.register_module()
class ParameterRandomisation(CAMMetric):
    """Cascading model-parameter randomisation (Adebayo et al., 2018).

    A map that explains a model must change when the model's learned
    weights are destroyed. The layers are re-initialised from the top down
    (``levels``, by default :func:`randomisation_levels`: head, neck, the
    backbone's stages last first; each by its layers' ``reset_parameters``
    with a fixed seed), cumulatively, and after each level the map of the
    same class is computed again with the same ``method``. The score is the
    Spearman rank correlation between each image's original and randomised
    maps (both from :func:`topgap_mm.cam.compute_cams`, at the input size),
    averaged over images: **low is good** (the map depends on what the
    model learned); a map that looks at no image correlates 1 at every
    level.

    Output keys (with the default prefix ``mprt``): ``spearman@<level>``
    for each level (e.g. ``spearman@head``, ``spearman@backbone.layer4``),
    ``spearman_top`` (the first level alone randomised) and
    ``spearman_all`` (every level randomised).

    Args:
        method (str): CAM method of :func:`topgap_mm.cam.compute_cams`.
            Defaults to ``'auto'``.
        method_kwargs (dict, optional): Passed to the CAM method.
        levels (Sequence[str], optional): Dotted module names of the model,
            randomised cumulatively in this order. Defaults to
            :func:`randomisation_levels`.
        target (str): ``'gt'`` or ``'pred'`` (the original model's
            prediction, kept for the randomised models). Defaults to
            ``'gt'``.
        seed (int): Seed of the re-initialisation. Defaults to 0.
        max_samples (int, optional): See :class:`CAMMetric`.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Prefix of the metric names.
    """

    default_prefix = 'mprt'

    def __init__(self,
                 method: str = 'auto',
                 method_kwargs: Optional[dict] = None,
                 levels: Optional[Sequence[str]] = None,
                 target: str = 'gt',
                 seed: int = 0,
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
        if levels is not None and (isinstance(levels, str) or not levels):
            raise ValueError(f'`levels` must be a non-empty list of module '
                             f'names, got {levels!r}.')
        self.levels = None if levels is None else list(levels)
        self.target = target
        self.seed = seed
        self._randomised: Optional[List[Tuple[str, nn.Module]]] = None

    def attach_model(self, model: nn.Module) -> None:
        super().attach_model(model)
        self._randomised = None

    def randomised_models(self) -> List[Tuple[str, nn.Module]]:
        """The cascade of randomised copies of the model, built once per
        evaluation: ``(level, model with this and every earlier level
        re-initialised)``."""
        if self._randomised is None:
            levels = self.levels or randomisation_levels(self.model)
            current = copy.deepcopy(self.model).eval()
            cascade = []
            for i, level in enumerate(levels):
                try:
                    module = current.get_submodule(level)
                except AttributeError as e:
                    raise ValueError(
                        f'`levels`: the model has no module {level!r}; use '
                        f'names from `model.named_modules()`, e.g. '
                        f'{randomisation_levels(self.model)}.') from e
                randomise(module, self.seed + i)
                cascade.append((level, current))
                current = copy.deepcopy(current)
            self._randomised = cascade
        return self._randomised

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        num = self.take(len(data_samples))
        if num == 0:
            return
        original = self.cams(data_batch, data_samples, num, self.target)
        data = preprocess(self.model, data_batch, num)
        if self.target == 'gt':
            classes, _ = labels_and_masks(data_batch, num)
        else:
            with torch.no_grad():
                classes = self.model(data['inputs'], mode='tensor').argmax(1)
        scores = {}
        for level, model in self.randomised_models():
            cams = compute_cams(
                model,
                data['inputs'],
                method=self.method,
                target=classes.to(data['inputs'].device),
                data_samples=data['data_samples'],
                **self.method_kwargs)
            scores[level] = spearman(
                original.flatten(1).double(),
                cams.to(original.device).flatten(1).double()).cpu().tolist()
        for i in range(num):
            self.results.append({level: s[i] for level, s in scores.items()})

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if not results:
            raise ValueError('ParameterRandomisation received no samples.')
        levels = list(results[0])
        metrics = {
            f'spearman@{level}': float(np.mean([r[level] for r in results]))
            for level in levels
        }
        metrics['spearman_top'] = metrics[f'spearman@{levels[0]}']
        metrics['spearman_all'] = metrics[f'spearman@{levels[-1]}']
        return metrics
