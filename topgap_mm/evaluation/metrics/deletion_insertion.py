"""Faithfulness of CAMs: deletion and insertion curves (Petsiuk et al.)."""
import math
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from mmpretrain.registry import METRICS
from ...models.pixel_space import PixelSpaceModel
from ..batch_cams import pixel_images
from ..ground_truth import labels_and_masks
from .cam_metric import CAMMetric

#: What removed pixels become (deletion) or what the image starts from
#: (insertion).
FILLS = ('black', 'blur', 'mean')
#: The blur of RISE's insertion: a Gaussian of sigma 5 px on an 11x11 window.
BLUR_SIZE, BLUR_SIGMA = 11, 5.0


def blur(images: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian blur of (N, C, H, W) images, edges reflected."""
    half = BLUR_SIZE // 2
    x = torch.arange(-half, half + 1, dtype=images.dtype,
                     device=images.device)
    kernel = torch.exp(-x**2 / (2 * BLUR_SIGMA**2))
    kernel = kernel / kernel.sum()
    channels = images.shape[1]
    out = F.pad(images, (half, half, half, half), mode='reflect')
    out = F.conv2d(out, kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1),
                   groups=channels)
    return F.conv2d(out, kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1),
                    groups=channels)


def fill_images(images: torch.Tensor, fill: str) -> torch.Tensor:
    """The images that removed pixels are taken from.

    Args:
        images (torch.Tensor): (N, C, H, W) images in [0, 1].
        fill (str): ``'black'`` (zeros), ``'blur'`` (:func:`blur`) or
            ``'mean'`` (each image's mean colour).
    """
    if fill == 'black':
        return torch.zeros_like(images)
    if fill == 'blur':
        return blur(images)
    if fill == 'mean':
        return images.mean(dim=(2, 3), keepdim=True).expand_as(images)
    raise ValueError(f'The fill must be one of {FILLS}, got {fill!r}.')


def pixel_order(cams: torch.Tensor) -> torch.Tensor:
    """Rank of every pixel (N, H * W) by its map value, highest first.

    Ties keep raster order (a stable sort), so the order is deterministic.
    """
    flat = cams.flatten(1)
    order = torch.sort(flat, dim=1, descending=True, stable=True).indices
    ranks = torch.empty_like(order)
    ranks.scatter_(1, order,
                   torch.arange(flat.shape[1], device=flat.device).expand_as(
                       order).contiguous())
    return ranks


def step_counts(num_pixels: int, steps: int) -> np.ndarray:
    """Pixels changed after each of the ``steps`` steps: 0, then
    ``ceil(P / steps)`` more per step, at most P."""
    per_step = math.ceil(num_pixels / steps)
    return np.minimum(np.arange(steps + 1) * per_step, num_pixels)


@torch.no_grad()
def deletion_insertion_curves(model: PixelSpaceModel,
                              images: torch.Tensor,
                              cams: torch.Tensor,
                              classes: torch.Tensor,
                              steps: int = 32,
                              deletion_fill: str = 'black',
                              insertion_start: str = 'blur',
                              batch_size: int = 256
                              ) -> Dict[str, torch.Tensor]:
    """The class probability as pixels are deleted or inserted by rank.

    Deletion replaces the image's pixels, highest map value first, by
    ``deletion_fill``; insertion starts from ``insertion_start`` and puts
    the image's pixels back in the same order. All perturbed images of all
    images are scored in batches of ``batch_size``.

    Args:
        model (PixelSpaceModel): The classifier of [0, 1] images.
        images (torch.Tensor): (N, 3, H, W) images in [0, 1].
        cams (torch.Tensor): (N, H, W) maps that order the pixels.
        classes (torch.Tensor): (N, ) classes whose softmax probability is
            tracked.
        steps (int): Number of steps from the whole image to none of it.
        deletion_fill (str): One of :data:`FILLS`.
        insertion_start (str): One of :data:`FILLS`.
        batch_size (int): Perturbed images per forward pass.

    Returns:
        dict[str, torch.Tensor]: ``fractions`` (steps + 1, ) of pixels
        changed, ``deletion`` and ``insertion`` probabilities (N, steps +
        1).
    """
    num, _, height, width = images.shape
    counts = torch.as_tensor(
        step_counts(height * width, steps), device=images.device)
    ranks = pixel_order(cams).view(num, 1, height, width)
    sources = dict(
        deletion=(images, fill_images(images, deletion_fill)),
        insertion=(fill_images(images, insertion_start), images))
    curves = {}
    for name, (kept, changed) in sources.items():
        probs = []
        pairs = [(i, c) for i in range(num) for c in counts.tolist()]
        for start in range(0, len(pairs), batch_size):
            chunk = pairs[start:start + batch_size]
            index = torch.tensor([i for i, _ in chunk], device=images.device)
            count = torch.tensor([c for _, c in chunk], device=images.device)
            swap = ranks[index] < count.view(-1, 1, 1, 1)
            batch = torch.where(swap, changed[index], kept[index])
            prob = model(batch).softmax(dim=1)
            probs.append(prob.gather(1, classes[index][:, None])[:, 0])
        curves[name] = torch.cat(probs).view(num, -1)
    curves['fractions'] = counts.double() / (height * width)
    return curves


def area_under(curves: torch.Tensor, fractions: torch.Tensor) -> np.ndarray:
    """Trapezoidal area of each curve (N, S + 1) over the fractions."""
    curves, widths = curves.double(), fractions.double().diff()
    heights = (curves[:, 1:] + curves[:, :-1]) / 2
    return (heights * widths.to(curves.device)).sum(dim=1).cpu().numpy()


@METRICS.register_module()
class DeletionInsertion(CAMMetric):
    """Deletion and insertion AUC of CAMs (Petsiuk et al., RISE, 2018).

    The pixels of each image are ordered by the map of the ``target`` class
    (:func:`topgap_mm.cam.compute_cams`, at the input size, min-max
    normalised; ties in raster order). **Deletion** removes them in that
    order, ``steps`` equal steps from the whole image to none of it, and
    tracks the softmax probability of the class: a faithful map makes it
    fall fast (low AUC is better). **Insertion** starts from a blurred
    image and puts the pixels back in the same order: a faithful map makes
    it rise fast (high AUC is better). The AUC is the trapezoidal area over
    the fraction of pixels changed, in [0, 1]. Images are perturbed as [0,
    1] RGB pixels through :class:`~topgap_mm.models.PixelSpaceModel` (the
    model's own preprocessing, eval mode), all steps of a batch in batched
    forward passes. Any CAM method can be scored, so a native Top-GAP map
    and a twin's post-hoc maps are compared on equal terms.

    Output keys (with the default prefix ``faithfulness``):
    ``deletion_auc``, ``insertion_auc`` (means over images) and
    ``insertion_minus_deletion``.

    Args:
        method (str): CAM method of :func:`topgap_mm.cam.compute_cams`.
            Defaults to ``'auto'``.
        method_kwargs (dict, optional): Passed to the CAM method.
        steps (int): Steps of each curve. Defaults to 32.
        target (str): ``'gt'`` or ``'pred'``: whose map orders the pixels
            and whose probability is tracked. Defaults to ``'gt'``.
        deletion_fill (str): What deleted pixels become: ``'black'``,
            ``'blur'`` or ``'mean'`` (the image's mean colour). Defaults to
            ``'black'``, as in RISE.
        insertion_start (str): What insertion starts from, as above.
            Defaults to ``'blur'``, as in RISE (Gaussian, sigma 5 px on an
            11 px window, edges reflected).
        batch_size (int): Perturbed images per forward pass. Defaults to
            256.
        max_samples (int, optional): See :class:`CAMMetric`.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Prefix of the metric names.
    """

    default_prefix = 'faithfulness'

    def __init__(self,
                 method: str = 'auto',
                 method_kwargs: Optional[dict] = None,
                 steps: int = 32,
                 target: str = 'gt',
                 deletion_fill: str = 'black',
                 insertion_start: str = 'blur',
                 batch_size: int = 256,
                 max_samples: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(
            method=method,
            method_kwargs=method_kwargs,
            max_samples=max_samples,
            collect_device=collect_device,
            prefix=prefix)
        if not isinstance(steps, int) or steps < 1:
            raise ValueError(f'`steps` must be an int >= 1, got {steps!r}.')
        self.check_target(target)
        for key, fill in (('deletion_fill', deletion_fill),
                          ('insertion_start', insertion_start)):
            if fill not in FILLS:
                raise ValueError(f'`{key}` must be one of {FILLS}, got '
                                 f'{fill!r}.')
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f'`batch_size` must be an int >= 1, got '
                             f'{batch_size!r}.')
        self.steps = steps
        self.target = target
        self.deletion_fill = deletion_fill
        self.insertion_start = insertion_start
        self.batch_size = batch_size

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        num = self.take(len(data_samples))
        if num == 0:
            return
        pixel_model = PixelSpaceModel(self.model)
        images = pixel_images(self.model, data_batch, num)
        if self.target == 'gt':
            classes, _ = labels_and_masks(data_batch, num)
        else:
            with torch.no_grad():
                classes = pixel_model(images).argmax(dim=1)
        cams = self.cams(data_batch, data_samples, num, self.target)
        curves = deletion_insertion_curves(
            pixel_model, images, cams.to(images.device),
            classes.to(images.device), self.steps, self.deletion_fill,
            self.insertion_start, self.batch_size)
        deletion = area_under(curves['deletion'], curves['fractions'])
        insertion = area_under(curves['insertion'], curves['fractions'])
        self.results.extend(
            dict(deletion=float(d), insertion=float(i))
            for d, i in zip(deletion, insertion))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if not results:
            raise ValueError('DeletionInsertion received no samples.')
        deletion = float(np.mean([r['deletion'] for r in results]))
        insertion = float(np.mean([r['insertion'] for r in results]))
        return dict(
            deletion_auc=deletion,
            insertion_auc=insertion,
            insertion_minus_deletion=insertion - deletion)
