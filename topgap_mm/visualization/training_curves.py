"""Per-epoch training curves from MMEngine's scalar logs."""
import glob
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Sequence, Tuple

#: Curves drawn by :func:`plot_training_curves`: (keys, axis label); the
#: first key a run logged is drawn (a standard model's classification loss
#: is its whole ``loss``).
CURVES = ((('accuracy/top1', ), 'val top-1 (%)'),
          (('loss_cls', 'loss'), 'classification loss'),
          (('loss_l1', ), 'loss_l1 (weighted)'))


def read_epoch_curves(work_dir: str) -> Dict[str, Dict[int, float]]:
    """Per-epoch values of a training run's logged scalars.

    Reads every ``<work_dir>/<timestamp>/vis_data/scalars.json`` in time
    order, so a resumed run continues its first part; a later value of the
    same epoch replaces an earlier one. Training scalars (records with an
    ``epoch``) are averaged over the logged iterations of each epoch;
    validation records (``step`` is the epoch) are taken as they are.

    Args:
        work_dir (str): The run's work directory.

    Returns:
        dict[str, dict[int, float]]: Scalar name -> epoch -> value.

    Raises:
        FileNotFoundError: If the work directory holds no scalar log.
    """
    files = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(
            f'No MMEngine scalar log (<timestamp>/vis_data/scalars.json) '
            f'under {work_dir!r}: is it the work_dir of a training run?')
    train = defaultdict(lambda: defaultdict(list))
    val = defaultdict(dict)
    for path in files:
        run_train = defaultdict(lambda: defaultdict(list))
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if 'epoch' in record:
                    for key, value in record.items():
                        if key not in ('epoch', 'iter', 'step'):
                            run_train[key][record['epoch']].append(value)
                else:
                    for key, value in record.items():
                        if key not in ('step', 'time', 'data_time'):
                            val[key][record['step']] = value
        for key, epochs in run_train.items():
            train[key].update(epochs)
    curves = {
        key: {epoch: sum(v) / len(v)
              for epoch, v in sorted(epochs.items())}
        for key, epochs in train.items()
    }
    curves.update({key: dict(sorted(v.items())) for key, v in val.items()})
    return curves


def plot_training_curves(runs: Sequence[Tuple[str, str]],
                         out_file: str,
                         title: str = '') -> List[str]:
    """One panel per curve of :data:`CURVES`, one line per run.

    Runs with the same label share a colour (for example the seeds of one
    setting), so a stalled seed stands out against the others.

    Args:
        runs (Sequence[tuple[str, str]]): (label, work_dir) pairs.
        out_file (str): Image file to write.
        title (str): Figure title.

    Returns:
        list[str]: The labels in the order of the legend.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(label for label, _ in runs))
    colours = {
        label: plt.cm.tab10(i % 10)
        for i, label in enumerate(labels)
    }
    fig, axes = plt.subplots(
        1, len(CURVES), figsize=(4.2 * len(CURVES), 3.4))
    drawn = set()
    for label, work_dir in runs:
        curves = read_epoch_curves(work_dir)
        for ax, (keys, name) in zip(axes, CURVES):
            key = next((k for k in keys if k in curves), None)
            if key is None:
                continue
            epochs, values = zip(*curves[key].items())
            ax.plot(
                epochs,
                values,
                marker='.',
                color=colours[label],
                alpha=0.8,
                label=None if (label, name) in drawn else label)
            drawn.add((label, name))
            ax.set_xlabel('epoch')
            ax.set_ylabel(name)
            ax.grid(True, alpha=0.3)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(
        handles,
        names,
        loc='upper center',
        bbox_to_anchor=(0.5, -0.03),
        ncol=min(3, len(names)),
        fontsize=8)
    if title:
        fig.suptitle(title)
    fig.savefig(out_file, dpi=120, bbox_inches='tight')
    plt.close(fig)
    return labels
