"""Plot val accuracy, loss_cls and loss_l1 per epoch of training runs.

Each ``--run LABEL WORK_DIR`` is the work directory of a ``tools/train.py``
run; runs with the same label (for example the seeds of one setting) share
a colour. A resumed run's logs are read in order.

Usage::

    python tools/analysis_tools/plot_training_curves.py \
        --run Top-GAP work_dirs/topgap_seed0 \
        --run Top-GAP work_dirs/topgap_seed1 \
        --run twin work_dirs/standard_seed0 --out curves.png
"""
import argparse

from topgap_mm.visualization.training_curves import plot_training_curves


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--run',
        nargs=2,
        action='append',
        required=True,
        metavar=('LABEL', 'WORK_DIR'),
        help='a label and the work directory of a training run')
    parser.add_argument('--out', required=True, help='image file to write')
    parser.add_argument('--title', default='', help='figure title')
    return parser.parse_args()


def main():
    args = parse_args()
    plot_training_curves([tuple(run) for run in args.run], args.out,
                         args.title)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
