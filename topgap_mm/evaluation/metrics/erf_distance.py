"""Effective receptive fields (paper Def. 1) and the ERF distance (Def. 6)."""
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn

from mmpretrain.registry import METRICS
from ...cam import is_topgap_model
from ...models.pixel_space import PixelSpaceModel
from ..batch_cams import pixel_images
from .model_metric import ModelMetric

#: A coordinate of an output position: an index (negative counts from the
#: end, as in Python) or ``'mid'`` for ``size // 2``.
Coord = Union[int, str]
#: Output map centre ``(h // 2, w // 2)`` and corner ``(0, 0)``, the paper's
#: 1-indexed (1, 1).
CENTER = ('mid', 'mid')
CORNER = (0, 0)
#: Corners, edge centres and centre, row by row (paper Fig. 3).
GRID_3X3 = tuple((row, col) for row in (0, 'mid', -1)
                 for col in (0, 'mid', -1))

OUTPUTS = ('auto', 'cam', 'backbone')
NORMALIZATIONS = ('zscore', 'none')


def output_map(model: nn.Module, inputs: torch.Tensor,
               output: str = 'auto') -> torch.Tensor:
    """The output feature map :math:`X^{(n+1)}` whose ERF is measured.

    Args:
        model (nn.Module): An ``ImageClassifier``.
        inputs (torch.Tensor): Preprocessed images (N, 3, H, W).
        output (str): ``'cam'``: the class activation maps of a Top-GAP head
            (``head.forward_cam``), the map Top-GAP pools; ``'backbone'``:
            the backbone's last feature map, the map a standard model
            pools; ``'auto'``: ``'cam'`` for Top-GAP models, else
            ``'backbone'``.

    Returns:
        torch.Tensor: The map (N, C, h, w).
    """
    if output not in OUTPUTS:
        raise ValueError(f'`output` must be one of {OUTPUTS}, got '
                         f'{output!r}.')
    head = getattr(model, 'head', None)
    if output == 'auto':
        output = 'cam' if is_topgap_model(model) else 'backbone'
    if output == 'cam':
        if not is_topgap_model(model):
            raise TypeError(
                f"output='cam' needs a classifier with a TopGAPClsHead, got "
                f"a {type(head).__name__} head; use output='backbone' (or "
                f"'auto') for standard models.")
        return head.forward_cam(model.extract_feat(inputs))
    feats = model.backbone(inputs)
    return feats[-1] if isinstance(feats, (tuple, list)) else feats


def _resolve(position: Sequence[Coord], size: Tuple[int,
                                                    int]) -> Tuple[int, int]:
    cell = []
    for coord, length in zip(position, size):
        index = length // 2 if coord == 'mid' else coord
        if not isinstance(index, int) or not -length <= index < length:
            raise ValueError(f'Output position {tuple(position)} does not '
                             f'lie in the {size[0]}x{size[1]} output map.')
        cell.append(index % length)
    return tuple(cell)


class ERFMaps(NamedTuple):
    """What :func:`erf_maps` returns."""
    #: Maps (N, P, H, W), one per image and output position.
    maps: torch.Tensor
    #: The resolved output positions ``(row, col)``.
    positions: List[Tuple[int, int]]
    #: ``(h, w)`` of the output map.
    output_size: Tuple[int, int]


def erf_maps(model: nn.Module,
             images: torch.Tensor,
             positions: Sequence[Sequence[Coord]],
             output: str = 'auto',
             normalize: str = 'none') -> ERFMaps:
    """Input-gradient maps of output positions (paper Def. 1).

    For each output position ``p`` and image, the gradient of
    ``sum_c out[c, p]`` (the sum over output channels of Def. 1) with
    respect to the image in [0, 1] RGB pixel space (through
    :class:`PixelSpaceModel`, which puts the model in eval mode). The map
    of a pixel is the sum over its colour channels of the absolute
    gradient.

    With ``normalize='zscore'`` the signed gradients are z-normalised (mean
    0, std 1, paper appendix B) per image, with one mean and std over all
    requested positions, colour channels and pixels, before the absolute
    value is taken: maps of different positions of an image stay
    comparable, while images and models with different gradient scales
    are not. An image whose gradients are all equal gets zero maps.

    Gradients are taken with :func:`torch.autograd.grad` with respect to
    the images only, so this works inside ``torch.no_grad()`` and leaves no
    ``.grad`` on the parameters. In eval mode the images of a batch are
    independent, so one backward pass of the batch sum gives every image's
    own gradient.

    Args:
        model (nn.Module): An ``ImageClassifier`` with a
            ``ClsDataPreprocessor``.
        images (torch.Tensor): Images (N, 3, H, W), RGB in [0, 1] (see
            :func:`topgap_mm.models.to_pixel_space`).
        positions (Sequence): Output positions ``(row, col)``, 0-indexed;
            see :data:`CENTER`, :data:`CORNER`, :data:`GRID_3X3`.
        output (str): Which map, see :func:`output_map`.
        normalize (str): ``'zscore'`` or ``'none'``.

    Returns:
        ERFMaps: Maps (N, P, H, W), resolved positions and output size.
    """
    if normalize not in NORMALIZATIONS:
        raise ValueError(f'`normalize` must be one of {NORMALIZATIONS}, got '
                         f'{normalize!r}.')
    if not positions:
        raise ValueError('`positions` must name at least one position.')
    pixel_model = PixelSpaceModel(model).to(images.device)
    with torch.enable_grad():
        rgb = images.detach().float().requires_grad_(True)
        out = output_map(model, pixel_model.normalize(rgb), output)
        size = tuple(out.shape[-2:])
        cells = [_resolve(p, size) for p in positions]
        grads = []
        for i, (row, col) in enumerate(cells):
            grad, = torch.autograd.grad(
                out[:, :, row, col].sum(),
                rgb,
                retain_graph=i < len(cells) - 1)
            grads.append(grad)
    grads = torch.stack(grads, dim=1)  # (N, P, 3, H, W)
    if normalize == 'zscore':
        flat = grads.flatten(1)
        mean = flat.mean(dim=1).view(-1, 1, 1, 1, 1)
        std = flat.std(dim=1, unbiased=False).view(-1, 1, 1, 1, 1)
        grads = torch.where(std > 0, (grads - mean) / std.clamp_min(1e-30),
                            torch.zeros_like(grads))
    return ERFMaps(grads.abs().sum(dim=2), cells, size)


@METRICS.register_module()
class ERFDistance(ModelMetric):
    """ERF of the output map's centre and corner, and their difference.

    Paper Definition 6: ``ERF(p)`` is the mean over the input pixels of the
    map of :func:`erf_maps` (absolute input gradient of the output map at
    ``p``, summed over colour channels); ``p`` is the centre
    ``(h // 2, w // 2)`` or the corner ``(0, 0)`` of the output map (the
    paper's 1-indexed (1, 1)). Each is averaged over images; the distance
    is centre minus corner. The output map is the CAM for Top-GAP models
    and the last backbone feature map for standard ones.

    With the default ``normalize='zscore'`` (the paper's appendix B), each
    image's centre and corner gradients are z-normalised together, so the
    numbers compare where a model looks, independent of its gradient
    scale; ``'none'`` reports raw gradient magnitudes.

    Output keys (with the default prefix ``erf``): ``center``, ``corner``,
    ``distance``.

    Args:
        output (str): ``'auto'``, ``'cam'`` or ``'backbone'``, see
            :func:`output_map`.
        normalize (str): ``'zscore'`` or ``'none'``. Defaults to
            ``'zscore'``.
        max_samples (int, optional): See :class:`ModelMetric`.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Prefix of the metric names.
    """

    default_prefix = 'erf'

    def __init__(self,
                 output: str = 'auto',
                 normalize: str = 'zscore',
                 max_samples: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(
            max_samples=max_samples,
            collect_device=collect_device,
            prefix=prefix)
        if output not in OUTPUTS:
            raise ValueError(f'`output` must be one of {OUTPUTS}, got '
                             f'{output!r}.')
        if normalize not in NORMALIZATIONS:
            raise ValueError(f'`normalize` must be one of {NORMALIZATIONS}, '
                             f'got {normalize!r}.')
        self.output = output
        self.normalize = normalize

    def process(self, data_batch: dict,
                data_samples: Sequence[dict]) -> None:
        num = self.take(len(data_samples))
        if num == 0:
            return
        images = pixel_images(self.model, data_batch, num)
        maps = erf_maps(self.model, images, (CENTER, CORNER), self.output,
                        self.normalize).maps
        erf = maps.flatten(2).mean(dim=2).cpu().tolist()
        self.results.extend(
            dict(center=center, corner=corner) for center, corner in erf)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        center = float(np.mean([r['center'] for r in results]))
        corner = float(np.mean([r['corner'] for r in results]))
        return dict(center=center, corner=corner, distance=center - corner)
