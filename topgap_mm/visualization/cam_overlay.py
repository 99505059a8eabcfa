"""CAM overlays and comparison grids as PNG files (matplotlib, Agg).

Figures are drawn on :class:`matplotlib.figure.Figure` objects with an Agg
canvas, never through ``pyplot``: no global figure state, no display
needed, and safe to call from a test hook on a headless machine.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Mask values of ``data_sample.gt_object_mask``.
_OBJECT, _IGNORE = 1, 255


def inputs_to_images(inputs: torch.Tensor,
                     data_preprocessor: Optional[nn.Module] = None
                     ) -> List[np.ndarray]:
    """Undo a ``ClsDataPreprocessor``: the images the model saw, as RGB.

    Drawing the preprocessed tensor (rather than the loaded image) keeps
    every overlay aligned with its CAM, whatever padding or resizing the
    pipeline did.

    Args:
        inputs (torch.Tensor): Preprocessed images (N, 3, H, W).
        data_preprocessor (nn.Module, optional): The model's preprocessor;
            its ``mean``/``std`` are undone when it normalises, and its
            channels are taken as RGB when it has ``to_rgb`` set, as BGR
            (mmcv's loading order) otherwise.

    Returns:
        list[np.ndarray]: One (H, W, 3) uint8 RGB image per input.
    """
    images = inputs.detach().float()
    if getattr(data_preprocessor, '_enable_normalize', False):
        images = images * data_preprocessor.std + data_preprocessor.mean
    if not getattr(data_preprocessor, 'to_rgb', False):
        images = images.flip(1)
    images = images.clamp(0, 255).round().to(torch.uint8)
    return list(images.permute(0, 2, 3, 1).cpu().numpy())


def overlay_cam(image: np.ndarray,
                cam: np.ndarray,
                alpha: float = 0.5,
                cmap: str = 'jet') -> np.ndarray:
    """Blend a colour-mapped CAM onto an image.

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB image.
        cam (np.ndarray | torch.Tensor): (H, W) map in [0, 1], as the CAM
            methods return it.
        alpha (float): Weight of the CAM colours. Defaults to 0.5.
        cmap (str): Matplotlib colormap. Defaults to ``'jet'``.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB overlay.
    """
    if isinstance(cam, torch.Tensor):
        cam = cam.detach().cpu().numpy()
    if cam.shape != image.shape[:2] or image.ndim != 3:
        raise ValueError(f'overlay_cam needs an (H, W, 3) image and an '
                         f'(H, W) CAM, got {image.shape} and {cam.shape}.')
    if not 0 <= alpha <= 1:
        raise ValueError(f'`alpha` must lie in [0, 1], got {alpha}.')
    colours = colormaps[cmap](np.clip(cam, 0, 1))[..., :3] * 255
    blended = (1 - alpha) * image.astype(np.float64) + alpha * colours
    return blended.round().astype(np.uint8)


def mask_to_image(mask: np.ndarray) -> np.ndarray:
    """Object mask as a grey image: object white, background black, ignored
    pixels mid-grey."""
    if isinstance(mask, torch.Tensor):
        mask = mask.cpu().numpy()
    grey = np.where(mask == _OBJECT, 255, 0)
    grey = np.where(mask == _IGNORE, 128, grey).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=-1)


def _save(fig: Figure, out_file: str) -> None:
    folder = osp.dirname(osp.abspath(out_file))
    os.makedirs(folder, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(out_file, dpi=fig.dpi)


def save_cam_overlay(image: np.ndarray,
                     cam: np.ndarray,
                     out_file: str,
                     title: Optional[str] = None,
                     alpha: float = 0.5,
                     size: float = 3.0) -> None:
    """Write one CAM overlay as a PNG.

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB image.
        cam (np.ndarray | torch.Tensor): (H, W) map in [0, 1].
        out_file (str): Path of the PNG; folders are created.
        title (str, optional): Text above the image.
        alpha (float): Weight of the CAM colours. Defaults to 0.5.
        size (float): Figure side in inches. Defaults to 3.
    """
    fig = Figure(figsize=(size, size), dpi=100)
    ax = fig.add_subplot()
    ax.imshow(overlay_cam(image, cam, alpha), interpolation='nearest')
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=8)
    fig.tight_layout()
    _save(fig, out_file)


def save_cam_grid(images: Sequence[np.ndarray],
                  cams: Dict[str, Sequence[np.ndarray]],
                  out_file: str,
                  masks: Optional[Sequence[np.ndarray]] = None,
                  row_titles: Optional[Sequence[str]] = None,
                  alpha: float = 0.5,
                  cell: float = 1.8) -> None:
    """Write a comparison grid as a PNG (paper Figs. 1 and 5).

    Rows are images; columns are the input, the object mask (when
    ``masks`` is given) and one overlay column per entry of ``cams``, e.g.
    ``{'Top-GAP (native)': ..., 'ResNet-18 GradCAM': ...}``.

    Args:
        images (Sequence[np.ndarray]): (H, W, 3) uint8 RGB images.
        cams (dict[str, Sequence]): Column title -> one (H, W) map in [0, 1]
            per image, in the order of ``images``.
        out_file (str): Path of the PNG; folders are created.
        masks (Sequence[np.ndarray], optional): (H, W) object masks (1
            object, 0 background, 255 ignore).
        row_titles (Sequence[str], optional): One label per row, shown left
            of the input (e.g. ground truth and prediction).
        alpha (float): Weight of the CAM colours. Defaults to 0.5.
        cell (float): Side of one panel in inches. Defaults to 1.8.
    """
    num = len(images)
    if num == 0:
        raise ValueError('save_cam_grid needs at least one image.')
    for name, maps in cams.items():
        if len(maps) != num:
            raise ValueError(f'Column {name!r} has {len(maps)} maps for '
                             f'{num} images.')
    for name, values in (('masks', masks), ('row_titles', row_titles)):
        if values is not None and len(values) != num:
            raise ValueError(f'{len(values)} {name} for {num} images.')
    columns = [('input', list(images))]
    if masks is not None:
        columns.append(('object mask', [mask_to_image(m) for m in masks]))
    columns += [(name, [overlay_cam(img, cam, alpha)
                        for img, cam in zip(images, maps)])
                for name, maps in cams.items()]

    fig = Figure(figsize=(cell * len(columns), cell * num), dpi=100)
    axes = fig.subplots(num, len(columns), squeeze=False)
    for col, (name, panels) in enumerate(columns):
        axes[0, col].set_title(name, fontsize=8)
        for row, panel in enumerate(panels):
            axes[row, col].imshow(panel, interpolation='nearest')
            axes[row, col].set_xticks([])
            axes[row, col].set_yticks([])
    if row_titles is not None:
        for row, text in enumerate(row_titles):
            axes[row, 0].set_ylabel(text, fontsize=7)
    fig.tight_layout()
    _save(fig, out_file)
