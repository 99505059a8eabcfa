"""BPDA for Top-GAP: the exact forward, a smooth top-k surrogate's backward.

Top-k pooling passes gradient to the k selected CAM positions only, so a
gradient attack cannot see which other positions would enter the top k.
Backward Pass Differentiable Approximation (BPDA, Athalye et al. 2018)
keeps the model's exact output and takes the gradient of a smooth
surrogate instead; the audit's adaptive attack is PGD through it.
"""
import contextlib
import warnings
from typing import Iterator, Optional

import torch
import torch.nn as nn

from ...cam import is_topgap_model
from ...models.pixel_space import PixelSpaceModel
from ...models.utils.cam_pools import TopGAP, resolve_k

#: Backward surrogates of top-k pooling, see :class:`SmoothTopGAPBackward`.
SURROGATES = ('gap', 'soft_topk')


class SmoothTopGAPBackward(nn.Module):
    """Exact Top-GAP forward, a smooth surrogate's gradient backward (BPDA).

    The output is ``exact.detach() + (soft - soft.detach())``: its value is
    the exact Top-GAP score bit for bit (``soft - soft.detach()`` is 0), and
    its gradient is the surrogate's. Surrogates:

    - ``'gap'``: the mean over all positions, so every position of the CAM
      receives gradient, not only the k selected ones.
    - ``'soft_topk'``: a sigmoid-weighted mean
      ``sum(w * cam) / sum(w)`` with ``w = sigmoid((cam - t) / T)``, ``t``
      the k-th largest value of the channel and ``T = temperature *
      std(cam)`` (both without gradient): about k positions get weight
      near 1, and positions just below the cut still receive gradient, so
      the attack can see which positions would enter the top k.

    Args:
        pool (TopGAP): The head's exact pooling.
        surrogate (str): ``'gap'`` or ``'soft_topk'``. Defaults to
            ``'soft_topk'``.
        temperature (float): Width of the soft cut in channel standard
            deviations (``'soft_topk'`` only). Defaults to 0.5.

    Raises:
        ValueError: If ``surrogate`` is unknown or ``temperature`` is not
            positive.

    Examples:
        >>> import torch
        >>> cam = torch.arange(8.).view(1, 2, 2, 2).requires_grad_()
        >>> pool = SmoothTopGAPBackward(TopGAP(k=2), surrogate='gap')
        >>> score = pool(cam)
        >>> score  # exactly TopGAP(k=2)(cam)
        tensor([[2.5000, 6.5000]], grad_fn=<AddBackward0>)
        >>> score.sum().backward()
        >>> cam.grad  # every position's, not only the top 2
        tensor([[[[0.2500, 0.2500],
                  [0.2500, 0.2500]],
        <BLANKLINE>
                 [[0.2500, 0.2500],
                  [0.2500, 0.2500]]]])
    """

    def __init__(self,
                 pool: TopGAP,
                 surrogate: str = 'soft_topk',
                 temperature: float = 0.5):
        super().__init__()
        if surrogate not in SURROGATES:
            raise ValueError(f'`surrogate` must be one of {SURROGATES}, got '
                             f'{surrogate!r}.')
        if temperature <= 0:
            raise ValueError(f'`temperature` must be positive, got '
                             f'{temperature}.')
        self.pool = pool
        self.surrogate = surrogate
        self.temperature = temperature

    def soft(self, cam: torch.Tensor) -> torch.Tensor:
        """The surrogate pooling of (N, C, H, W) maps, (N, C) out."""
        flat = cam.flatten(2)
        if self.surrogate == 'gap':
            return flat.mean(dim=2)
        num = resolve_k(self.pool.k, *cam.shape[-2:])
        with torch.no_grad():
            cut = flat.topk(num, dim=2).values[..., -1:]
            width = self.temperature * flat.std(dim=2, keepdim=True) + 1e-12
        weights = torch.sigmoid((flat - cut) / width)
        return (weights * flat).sum(dim=2) / weights.sum(dim=2)

    def forward(self, cam: torch.Tensor) -> torch.Tensor:
        soft = self.soft(cam)
        return self.pool(cam).detach() + (soft - soft.detach())


@contextlib.contextmanager
def smooth_topgap_backward(model: nn.Module,
                           surrogate: str = 'soft_topk',
                           temperature: float = 0.5) -> Iterator[None]:
    """Swap a Top-GAP head's pooling for :class:`SmoothTopGAPBackward`.

    The logits stay exact inside the context; only their gradient changes.
    The original pooling is put back on exit, also after an error.

    Args:
        model (nn.Module): A classifier whose ``head.pool`` is a
            :class:`TopGAP`.
        surrogate (str): See :class:`SmoothTopGAPBackward`.
        temperature (float): See :class:`SmoothTopGAPBackward`.

    Raises:
        ValueError: If the model has no Top-GAP head.
    """
    head = getattr(model, 'head', None)
    pool = getattr(head, 'pool', None)
    if not isinstance(pool, TopGAP):
        raise ValueError('The adaptive attack needs a model whose '
                         '`head.pool` is TopGAP (a TopGAPClsHead).')
    head.pool = SmoothTopGAPBackward(pool, surrogate, temperature)
    try:
        yield
    finally:
        head.pool = pool


def smooth_top_gap_backward(*args, **kwargs):
    """Deprecated name of :func:`smooth_topgap_backward`."""
    warnings.warn(
        '`smooth_top_gap_backward` is deprecated; use '
        '`smooth_topgap_backward` (the same context manager).',
        FutureWarning,
        stacklevel=2)
    return smooth_topgap_backward(*args, **kwargs)


class SmoothBackwardModel(nn.Module):
    """A pixel-space Top-GAP classifier whose gradient is BPDA's.

    Passed as the ``grad_model`` of :func:`~.attacks.pgd`, it makes PGD
    step along the surrogate's gradient while the attacked model's exact
    predictions decide which adversarial image is kept. The pooling is
    swapped only during each forward, so the wrapped classifier is
    unchanged between calls.

    Args:
        pixel_model (PixelSpaceModel): The classifier, with a Top-GAP head
            (see :func:`smooth_topgap_backward`).
        surrogate (str): See :class:`SmoothTopGAPBackward`. Defaults to
            ``'soft_topk'``.
        temperature (float): See :class:`SmoothTopGAPBackward`. Defaults to
            0.5.
    """

    def __init__(self,
                 pixel_model: PixelSpaceModel,
                 surrogate: str = 'soft_topk',
                 temperature: float = 0.5):
        super().__init__()
        self.pixel_model = pixel_model
        self.surrogate = surrogate
        self.temperature = temperature

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        with smooth_topgap_backward(self.pixel_model.model, self.surrogate,
                                    self.temperature):
            return self.pixel_model(rgb)


def bpda_skip_note(model: nn.Module) -> Optional[str]:
    """Why the BPDA attack does not apply to ``model``, if it does not.

    BPDA smooths the backward of :class:`TopGAP` pooling, so it needs a
    Top-GAP head (:func:`~topgap_mm.cam.is_topgap_model`) that pools with
    it; a Top-GAP head with another pooling is named by that pooling.

    Args:
        model (nn.Module): The audited classifier.

    Returns:
        str | None: A note for the audit's report, or None where the
        attack applies.
    """
    if not is_topgap_model(model):
        return ('No Top-GAP head: the adaptive (BPDA) attack does not '
                'apply.')
    pool = getattr(model.head, 'pool', None)
    if isinstance(pool, TopGAP):
        return None
    return (f'The Top-GAP head pools its CAM with {type(pool).__name__}, '
            'not TopGAP: the adaptive (BPDA) attack, a smooth backward of '
            'top-k pooling, does not apply.')
