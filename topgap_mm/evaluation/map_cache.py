"""The maps of the batch being evaluated, computed once and shared.

An evaluator runs every metric's ``process`` on the same batch object in
turn. Metrics that read one CAM method's maps of that batch (IoU, PxAP,
boxes, pointing game, relevance, deletion / insertion, sparsity, the
randomisation check's reference) would each compute them again; a
post-hoc method costs a forward and a backward pass (GradCAM) or one
forward pass per feature-map position (Recipro-CAM). The cache holds the
maps of the current batch, per model, method, method arguments and target,
and forgets them as soon as another batch comes.
"""
from itertools import chain
from typing import Callable, Dict, Hashable, Optional, Tuple

import torch
import torch.nn as nn


class BatchMapCache:
    """Maps of one batch, keyed by model, method, arguments and target.

    The batch and the model are recognised by identity, the model's weights
    by their version counters; the cache holds both objects, so that no
    later batch or model can take over an identity while its maps are
    kept. A request for more images than were computed
    computes them all again; one for fewer returns the first ones (maps are
    per image: a model in eval mode treats every image on its own).

    Examples:
        >>> cache = BatchMapCache()
        >>> batch, model, calls = dict(inputs=[0, 1]), object(), []
        >>> def compute(num):
        ...     calls.append(num)
        ...     return torch.arange(float(num))
        >>> cache.get(batch, model, ('gradcam', 'gt'), 2, compute).tolist()
        [0.0, 1.0]
        >>> cache.get(batch, model, ('gradcam', 'gt'), 1, compute).tolist()
        [0.0]
        >>> calls
        [2]
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget the batch and its maps."""
        self._inputs = None
        self._models: Dict[int, nn.Module] = {}
        self._maps: Dict[Tuple[int, int, Hashable], torch.Tensor] = {}

    def get(self, data_batch: dict, model: nn.Module, key: Hashable, num: int,
            compute: Callable[[int], torch.Tensor]) -> torch.Tensor:
        """The maps of the batch's first ``num`` images under ``key``.

        Args:
            data_batch (dict): The batch from the dataloader.
            model (nn.Module): The model the maps are of.
            key (Hashable): Everything else the maps depend on (method, its
                arguments, target).
            num (int): How many of the batch's images.
            compute (Callable[[int], torch.Tensor]): Computes the maps of
                the first ``n`` images, ``(n, ...)``.

        Returns:
            torch.Tensor: A copy of the maps, so that no metric can change
            what the others read.
        """
        if data_batch.get('inputs') is not self._inputs:
            self.clear()
            self._inputs = data_batch.get('inputs')
        self._models[id(model)] = model
        # A weight or buffer changed in place (an optimiser step, a loaded
        # state, BatchNorm statistics) bumps its version counter: such a
        # model is another model.
        versions = sum(
            t._version
            for t in chain(model.parameters(), model.buffers())) \
            if isinstance(model, nn.Module) else 0
        full_key = (id(model), versions, key)
        maps: Optional[torch.Tensor] = self._maps.get(full_key)
        if maps is None or len(maps) < num:
            maps = self._maps[full_key] = compute(num)
        return maps[:num].clone()


#: The cache of :func:`topgap_mm.evaluation.batch_cams.batch_cams`.
MAP_CACHE = BatchMapCache()
