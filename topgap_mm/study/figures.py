"""Figures of a study's report."""
import textwrap
from typing import Dict, List, Sequence

import numpy as np

from .convergence import UNKNOWN

#: Line colour of each model.
COLOURS = dict(topgap='tab:red', twin='tab:blue')
#: Colours of a study's peers (other designs), in the order they come.
PEER_COLOURS = ('tab:green', 'tab:purple', 'tab:brown', 'tab:olive')


def plot_validation_curves(convergence: Dict[str, Dict[str, Dict]],
                           out_file: str,
                           title: str = '',
                           metric: str = 'accuracy/top1') -> None:
    """The validation curve of every seed of both models of a pair.

    A converged seed is drawn solid, a budget-bound, failed or unknown one
    dashed, so that the runs a difference must not be read from stand out.

    Args:
        convergence (dict): model -> seed -> verdict with its ``curve``
            (epoch -> value), as in a pair's ``convergence`` in report.json.
        out_file (str): Image file to write.
        title (str): Figure title.
        metric (str): Name of the plotted metric, for the axis.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    peers = [m for m in convergence if m not in COLOURS]
    for model, verdicts in convergence.items():
        labelled = False
        for seed, verdict in verdicts.items():
            if not verdict['curve']:
                continue
            epochs = [int(e) for e in verdict['curve']]
            converged = verdict['verdict'] == 'converged'
            ax.plot(
                epochs,
                list(verdict['curve'].values()),
                color=COLOURS.get(model) or
                PEER_COLOURS[peers.index(model) % len(PEER_COLOURS)],
                linestyle='-' if converged else '--',
                marker='.',
                alpha=0.85,
                label=None if labelled else
                ('Top-GAP' if model == 'topgap' else model))
            labelled = True
    ax.set_xlabel('epoch')
    ax.set_ylabel(f'val {metric}')
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, title='dashed: not converged', title_fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    fig.savefig(out_file, dpi=110, bbox_inches='tight')
    plt.close(fig)


#: Marker colour of a difference by the convergence of the runs behind it.
VERDICT_COLOURS = {
    'converged': 'black',
    'budget-bound': 'tab:orange',
    'failed': 'tab:red',
    UNKNOWN: 'tab:gray',
}

#: Line styles of the baselines' reference lines, in order of appearance.
REFERENCE_STYLES = (dict(color='tab:purple', ls=':'),
                    dict(color='tab:green', ls='-.'),
                    dict(color='tab:brown', ls='--'))


def plot_forest(panels: List[Dict], out_file: str, title: str = '',
                confidence: float = 0.95) -> None:
    """Paired differences with their confidence intervals, one panel per
    metric (each on its own scale), zero marked.

    Args:
        panels (list[dict]): Per metric ``label`` (with its unit), ``rows``
            (each ``label``, ``mean``, ``low``, ``high`` and
            ``convergence``; ``low`` and ``high`` None for one seed) and
            ``references`` (each ``label`` and ``value``: where a trivial
            baseline sits on the same difference scale), drawn top to
            bottom.
        out_file (str): Image file to write.
        title (str): Figure title.
        confidence (float): The intervals' level, for the axis label.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    heights = [0.45 + 0.32 * len(p['rows']) for p in panels]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(6.4, sum(heights) + 0.9),
        gridspec_kw=dict(height_ratios=heights), squeeze=False)
    # One style per baseline across all panels, explained once below them.
    styles, handles = {}, {}
    for ax, panel in zip(axes[:, 0], panels):
        rows = panel['rows']
        ys = list(range(len(rows)))[::-1]
        for y, row in zip(ys, rows):
            colour = VERDICT_COLOURS.get(row['convergence'], 'tab:gray')
            if row['low'] is not None:
                ax.plot([row['low'], row['high']], [y, y], color=colour, lw=2)
            ax.plot(row['mean'], y, 'o', color=colour,
                    markerfacecolor='white'
                    if row['convergence'] != 'converged' else colour)
        ax.axvline(0, color='0.3', lw=1)
        for ref in panel.get('references', []):
            style = styles.setdefault(
                ref['label'], REFERENCE_STYLES[len(styles) %
                                               len(REFERENCE_STYLES)])
            handles[ref['label']] = ax.axvline(
                ref['value'], lw=1.2, label=ref['label'], **style)
        ax.set_yticks(ys, [row['label'] for row in rows], fontsize=7)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_title(panel['label'], fontsize=8, loc='left')
        ax.tick_params(axis='x', labelsize=7)
        ax.grid(True, axis='x', alpha=0.3)
    axes[-1, 0].set_xlabel(
        f'difference with its {round(100 * confidence)}% CI; hollow: a run '
        'behind it did not converge', fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    # Room below the panels for the legend: about half an inch.
    fig.tight_layout(
        rect=(0, 0.5 / fig.get_figheight() if handles else 0, 1, 1))
    if handles:
        fig.legend(list(handles.values()), list(handles), loc='lower center',
                   ncol=len(handles), fontsize=7, frameon=False,
                   title='a map that looks at no image, minus the twin',
                   title_fontsize=7)
    fig.savefig(out_file, dpi=100)
    plt.close(fig)


def plot_cam_gallery(images: Sequence[np.ndarray], masks: Sequence[np.ndarray],
                     columns: List[Dict], row_titles: Sequence[str],
                     out_file: str, cell: float = 1.45) -> None:
    """Every map of a study on the same images, each binarised at its own
    threshold chosen on val.

    A panel is the map over the image (:func:`overlay_cam`), the object's
    outline in white and the outline of the map's pixels at or above the
    threshold in black, with that image's IoU.

    Args:
        images (Sequence[np.ndarray]): (H, W, 3) uint8 RGB images.
        masks (Sequence[np.ndarray]): (H, W) object masks (1 object, 0
            background, 255 ignore).
        columns (list[dict]): Per map ``label``, ``threshold`` (None: not
            chosen), ``maps`` ((H, W) in [0, 1] per image) and ``ious``
            (per image, percent, or None).
        row_titles (Sequence[str]): One label per image.
        out_file (str): Image file to write.
        cell (float): Side of one panel in inches.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from ..visualization import overlay_cam

    fig, axes = plt.subplots(
        len(images), len(columns) + 1,
        figsize=(cell * (len(columns) + 1), cell * len(images) + 0.3),
        squeeze=False)
    for row, (image, mask) in enumerate(zip(images, masks)):
        panels = [(image, None, None)] + [
            (overlay_cam(image, col['maps'][row]), col['maps'][row],
             col['threshold']) for col in columns
        ]
        for col, (panel, cam, threshold) in enumerate(panels):
            ax = axes[row, col]
            ax.imshow(panel, interpolation='nearest')
            ax.contour(mask == 1, levels=[0.5], colors='white',
                       linewidths=1.0)
            if cam is not None and threshold is not None:
                ax.contour(np.asarray(cam) >= threshold, levels=[0.5],
                           colors='black', linewidths=0.8, linestyles='--')
            ax.set_xticks([])
            ax.set_yticks([])
            iou = None if col == 0 else columns[col - 1]['ious'][row]
            if iou is not None:
                ax.set_xlabel(f'IoU {iou:.0f}', fontsize=6, labelpad=1)
        axes[row, 0].set_ylabel(row_titles[row], fontsize=6)
    axes[0, 0].set_title('input\nwhite: object', fontsize=6)
    for col, column in enumerate(columns, 1):
        threshold = column['threshold']
        # A long pair name would run into the next column's title.
        axes[0, col].set_title(
            textwrap.fill(column['label'], 28) + '\n' +
            ('no val threshold' if threshold is None else
             f'black: map >= {threshold:g}'), fontsize=6)
    fig.tight_layout(pad=0.3)
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
