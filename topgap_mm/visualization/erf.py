"""ERF maps of output positions, averaged over images (paper Fig. 3)."""
from typing import Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch.nn as nn
from mmengine.dataset import pseudo_collate

from ..evaluation.metrics.erf_distance import GRID_3X3, Coord, erf_maps
from ..models.pixel_space import to_pixel_space


def mean_erf_maps(model: nn.Module,
                  samples: Iterable[dict],
                  num_images: int,
                  positions: Sequence[Sequence[Coord]] = GRID_3X3,
                  output: str = 'auto',
                  normalize: str = 'none',
                  batch_size: int = 8
                  ) -> Tuple[np.ndarray, List[Tuple[int, int]],
                             Tuple[int, int], int]:
    """Average :func:`erf_maps` over the first images of a dataset.

    Args:
        model (nn.Module): An ``ImageClassifier``.
        samples (Iterable[dict]): Packed samples (``inputs`` uint8 (3, H, W)
            in the dataset's channel order), e.g. a dataset.
        num_images (int): How many samples to average over.
        positions: Output positions, see :func:`erf_maps`.
        output (str): ``'auto'``, ``'cam'`` or ``'backbone'``.
        normalize (str): ``'none'`` or ``'zscore'``.
        batch_size (int): Images per backward pass.

    Returns:
        tuple: Maps (P, H, W), the resolved positions, the output map size
        ``(h, w)`` and the number of images used.
    """
    if num_images < 1:
        raise ValueError(f'`num_images` must be positive, got {num_images}.')
    total, result, seen, batch = None, None, 0, []

    def flush():
        nonlocal total, result
        images = to_pixel_space(pseudo_collate(batch)['inputs'], model)
        result = erf_maps(model, images, positions, output, normalize)
        maps = result.maps.sum(dim=0).cpu().double()
        total = maps if total is None else total + maps

    for sample in samples:
        batch.append(sample)
        seen += 1
        if len(batch) == batch_size:
            flush()
            batch = []
        if seen == num_images:
            break
    if batch:
        flush()
    if seen == 0:
        raise ValueError('No samples to compute ERF maps on.')
    return ((total / seen).numpy(), result.positions, result.output_size,
            seen)


def plot_erf_grid(maps: np.ndarray,
                  cells: Sequence[Tuple[int, int]],
                  output_size: Tuple[int, int],
                  out_file: str,
                  title: Optional[str] = None) -> None:
    """Plot ERF maps of output positions in a grid, one panel each.

    Panels follow ``cells`` row by row (3 columns for nine positions). The
    colour scale is shared by all panels, so their strengths compare as in
    the paper's figure; a cross marks the input location of the output
    position's centre.

    Args:
        maps (np.ndarray): Maps (P, H, W).
        cells (Sequence[tuple]): The output position of each map.
        output_size (tuple[int, int]): ``(h, w)`` of the output map.
        out_file (str): Image file to write.
        title (str, optional): Figure title.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    cols = int(np.ceil(np.sqrt(len(cells))))
    rows = int(np.ceil(len(cells) / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(2.6 * cols, 2.6 * rows), squeeze=False)
    vmax = float(maps.max()) or 1.0
    height, width = maps.shape[-2:]
    for ax, erf, (row, col) in zip(axes.flat, maps, cells):
        image = ax.imshow(erf, cmap='viridis', vmin=0, vmax=vmax)
        ax.plot((col + 0.5) * width / output_size[1] - 0.5,
                (row + 0.5) * height / output_size[0] - 0.5,
                '+',
                color='red',
                markersize=10)
        ax.set_title(f'({row}, {col}): {erf.mean():.3g}', fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in list(axes.flat)[len(cells):]:
        ax.axis('off')
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.savefig(out_file, dpi=120, bbox_inches='tight')
    plt.close(fig)
