"""CAM sparsity against the Top-GAP constraint k (paper Fig. 4)."""
from collections import defaultdict
from typing import Dict, Sequence, Tuple, Union

from ..models.utils import resolve_k


def normalized_k(k: Union[int, float], cam_size: Tuple[int, int]) -> float:
    """``k`` as the fraction of CAM positions Top-GAP keeps, e.g. 64 / 56^2.

    A float ``k`` is already a fraction; it is resolved to whole positions
    as :class:`TopGAP` does, so both forms give the fraction actually used.
    """
    height, width = cam_size
    return resolve_k(k, height, width) / (height * width)


def plot_sparsity_vs_k(records: Sequence[Dict], out_file: str) -> None:
    """One line per label: CAM L1 against normalised k.

    Args:
        records (Sequence[dict]): Each with ``label`` (e.g. dataset and
            architecture), ``normalized_k`` and ``l1``.
        out_file (str): Image file to write.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    lines = defaultdict(list)
    for record in records:
        lines[record['label']].append(
            (record['normalized_k'], record['l1']))
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for label, points in sorted(lines.items()):
        xs, ys = zip(*sorted(points))
        ax.plot(xs, ys, marker='o', label=label)
    # k is swept in powers of two, so a log2 axis spaces the runs evenly.
    ax.set_xscale('log', base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f'{x:g}'))
    ax.set_xlabel('normalised k (k / CAM area)')
    ax.set_ylabel('CAM L1 (mean of the min-max map)')
    ax.set_ylim(0, 1.15 * max(r['l1'] for r in records))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(out_file, dpi=120, bbox_inches='tight')
    plt.close(fig)
