"""A val/test batch as the model sees it: preprocessed, as [0, 1] RGB
pixels, and its class activation maps, computed once per batch and shared
by the metrics that read them.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn

from ..cam import compute_cams, normalize_cams, resolve_method
from ..models.pixel_space import to_pixel_space
from .ground_truth import sample_field
from .map_cache import MAP_CACHE


def preprocess(model: nn.Module, data_batch: dict, num: int) -> dict:
    """The first ``num`` samples through the model's data preprocessor.

    As in the model's forward pass at test time (``training=False``).

    Returns:
        dict: ``inputs`` (num, 3, H, W) and ``data_samples`` (or None).
    """
    samples = data_batch.get('data_samples')
    return model.data_preprocessor(
        dict(
            inputs=data_batch['inputs'][:num],
            data_samples=None if samples is None else samples[:num]), False)


def pixel_images(model: nn.Module, data_batch: dict,
                 num: int) -> torch.Tensor:
    """The first ``num`` images as [0, 1] RGB on the model's device (see
    :func:`topgap_mm.models.to_pixel_space`)."""
    return to_pixel_space(list(data_batch['inputs'])[:num], model)


def _kept_cams(model: nn.Module, data_batch: dict,
               outputs: Optional[Sequence], num: int, method: str,
               target) -> Optional[torch.Tensor]:
    """The normalised CAMs the head kept in ``outputs``, None if it kept
    none for this ``target`` or the batch's images differ in size."""
    if (outputs is None or target not in ('gt', 'pred')
            or resolve_method(model, method) != 'topgap'):
        return None
    maps = [sample_field(s, f'{target}_cam') for s in list(outputs)[:num]]
    sizes = {tuple(img.shape[-2:]) for img in list(data_batch['inputs'])[:num]}
    if len(maps) < num or any(m is None for m in maps) or len(sizes) != 1:
        return None
    return normalize_cams(torch.stack(maps), sizes.pop())


def batch_cams(model: nn.Module,
               data_batch: dict,
               num: int,
               method: str = 'auto',
               target='gt',
               method_kwargs: Optional[dict] = None,
               outputs: Optional[Sequence] = None) -> torch.Tensor:
    """CAMs of the first ``num`` samples of a val/test batch.

    The native maps that a Top-GAP head kept in ``outputs`` (its
    ``keep_cams``, which :class:`~topgap_mm.evaluation.CAMMetric` turns
    on) are used when present: they come from the test forward pass, so no
    second pass is needed. Otherwise the images go through the model's own
    data preprocessor (:func:`preprocess`) and
    :func:`topgap_mm.cam.compute_cams`; the batch's data samples carry the
    ground truth. Both ways give the same maps, normalised by
    :func:`topgap_mm.cam.normalize_cams`. Post-hoc maps are computed once
    per batch, method, arguments and target class, and shared by every
    metric that asks for them (:data:`~topgap_mm.evaluation.map_cache.
    MAP_CACHE`).

    Args:
        model (nn.Module): The classifier.
        data_batch (dict): The batch from the dataloader.
        num (int): How many of the batch's samples to use.
        method (str): A method of :func:`topgap_mm.cam.compute_cams`.
        target: Which class's map, see :func:`topgap_mm.cam.select_classes`.
        method_kwargs (dict, optional): Passed to the CAM method.
        outputs (Sequence, optional): The model's outputs for the batch,
            the ``data_samples`` a metric's ``process`` receives.

    Returns:
        torch.Tensor: Maps (num, H, W) in [0, 1].
    """
    kept = _kept_cams(model, data_batch, outputs, num, method, target)
    if kept is not None:
        return kept

    def compute(n: int) -> torch.Tensor:
        data = preprocess(model, data_batch, n)
        return compute_cams(
            model,
            data['inputs'],
            method=method,
            target=target,
            data_samples=data['data_samples'],
            **(method_kwargs or {}))

    if not isinstance(target, (str, int)):
        return compute(num)
    key = (resolve_method(model, method), target,
           repr(sorted((method_kwargs or {}).items())))
    return MAP_CACHE.get(data_batch, model, key, num, compute)
