"""Tables and training curves of the stability measurement (run.sh).

Usage::

    .venv/bin/python benchmarks/stability/summarize.py work_dirs/stability \
        --figure docs/figures/stability_curves.png

Prints one Markdown table per regime: per variant and seed the val accuracy
after every epoch, test_id and test_ood accuracy, CAM IoU at the threshold
chosen on val and PxAP (test_id), and per variant the mean with its 95%
confidence interval over seeds.
"""
import argparse
import glob
import json
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from topgap_mm.study import summarize  # noqa: E402
from topgap_mm.visualization.training_curves import (  # noqa: E402
    plot_training_curves, read_epoch_curves)

VARIANTS = ('before', 'warmup', 'after', 'twin')
NAMES = dict(
    before='Top-GAP, head at full lr (before)',
    warmup='Top-GAP, head at full lr + L1 warm-up',
    after='Top-GAP, head lr x0.1 (shipped)',
    twin='standard twin')
COLUMNS = (('test_id', 'accuracy/top1'), ('test_ood', 'accuracy/top1'),
           ('test_id', 'cam/iou@best_val_thr'), ('test_id', 'cam/pxap'))


def load(run_dir):
    row = dict(curve=read_epoch_curves(run_dir).get('accuracy/top1', {}))
    for split, key in COLUMNS:
        path = osp.join(run_dir, f'{split}.json')
        row[(split, key)] = json.load(open(path)).get(key) \
            if osp.isfile(path) else None
    return row


def table(out_dir, regime):
    lines = [
        '| model | seed | val acc. per epoch | test_id acc. | test_ood acc. '
        '| CAM IoU | PxAP |', '|---|---|---|---|---|---|---|'
    ]
    for variant in VARIANTS:
        dirs = sorted(glob.glob(osp.join(out_dir, regime, variant, 'seed*')))
        rows = {}
        for d in dirs:
            if osp.isfile(osp.join(d, 'test_ood.json')):
                rows[int(d.rsplit('seed', 1)[1])] = load(d)
        for seed, row in sorted(rows.items()):
            curve = ' / '.join(f'{v:.0f}' for v in row['curve'].values())
            cells = ' | '.join('-' if row[c] is None else f'{row[c]:.1f}'
                               for c in COLUMNS)
            lines.append(f'| {NAMES[variant]} | {seed} | {curve} | {cells} |')
        if len(rows) > 1:
            cells = []
            for c in COLUMNS:
                s = summarize([r[c] for r in rows.values()])
                cells.append(f"{s['mean']:.1f} [{s['ci_low']:.1f}, "
                             f"{s['ci_high']:.1f}]")
            lines.append(f'| {NAMES[variant]} | mean [95% CI], '
                         f'n={len(rows)} | | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', help='OUT of run.sh')
    parser.add_argument('--figure', help='training curves PNG to write')
    args = parser.parse_args()
    for regime in ('loc', 'short'):
        if osp.isdir(osp.join(args.out_dir, regime)):
            print(f'\n## {regime}\n')
            print(table(args.out_dir, regime))
    if args.figure:
        runs = [(f'{regime}: {NAMES[variant]}', d)
                for regime in ('loc', 'short') for variant in VARIANTS
                for d in sorted(
                    glob.glob(
                        osp.join(args.out_dir, regime, variant, 'seed*')))
                if osp.isfile(osp.join(d, 'done_train'))]
        plot_training_curves(runs, args.figure,
                             'Embedded benchmark, 6 epochs from scratch')
        print(f'\nwrote {args.figure}')


if __name__ == '__main__':
    main()
