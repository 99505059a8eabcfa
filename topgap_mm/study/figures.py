"""Figures of a study's report."""
from typing import Dict

#: Line colour of each model.
COLOURS = dict(topgap='tab:red', twin='tab:blue')


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
                color=COLOURS.get(model),
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
