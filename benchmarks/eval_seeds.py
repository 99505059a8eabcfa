"""Accuracy and CAM IoU / PxAP of trained checkpoints of both necks.

Each checkpoint is tested by ``tools/test.py`` with
``benchmarks/configs/eval_<neck>_fashionbg_k16.py`` on ``test_id`` and
``test_ood``; the metrics are read from the JSON that MMEngine writes and
printed as one table with the mean and the spread (min-max) per neck.

Usage::

    .venv/bin/python benchmarks/eval_seeds.py \
        --paper /tmp/seeds/s{0,1,2}_resnet18_fashionbg_k16/epoch_20.pth \
        --efficient /tmp/eff_seeds/s{0,1,2}_eff/epoch_20.pth
"""
import argparse
import glob
import json
import os.path as osp
import subprocess
import sys
import tempfile
from typing import Dict, List

from common import ROOT
from topgap_mm.utils import markdown_table

CONFIGS = {
    'paper': 'benchmarks/configs/eval_paper_fashionbg_k16.py',
    'efficient': 'benchmarks/configs/eval_efficient_fashionbg_k16.py',
}
KEYS = ('accuracy/top1', 'cam/pxap', 'cam/iou@best_val_thr')


def evaluate(neck: str, checkpoint: str, split: str) -> Dict[str, float]:
    work_dir = tempfile.mkdtemp(prefix=f'eval_{neck}_')
    subprocess.run(
        [sys.executable, 'tools/test.py', CONFIGS[neck], checkpoint,
         '--work-dir', work_dir, '--cfg-options',
         f'test_dataloader.dataset.split={split}'],
        cwd=ROOT, check=True, capture_output=True)
    (path, ) = glob.glob(osp.join(work_dir, '*', '*.json'))
    with open(path) as f:
        return json.load(f)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--paper', nargs='*', default=[])
    parser.add_argument('--efficient', nargs='*', default=[])
    args = parser.parse_args()
    rows: Dict[str, List[dict]] = {}
    for neck in CONFIGS:
        for ckpt in getattr(args, neck):
            row = {}
            for split in ('test_id', 'test_ood'):
                metrics = evaluate(neck, ckpt, split)
                for key, value in metrics.items():
                    if any(key.endswith(k) for k in KEYS):
                        row[f'{split}:{key}'] = value
            print(f'{neck} {ckpt}: {json.dumps(row)}', flush=True)
            rows.setdefault(neck, []).append(row)
    keys = sorted({k for rs in rows.values() for r in rs for k in r})
    table = []
    for neck, rs in rows.items():
        cells = [f'{neck} (n={len(rs)})']
        for key in keys:
            values = [r[key] for r in rs if key in r]
            cells.append(f'{sum(values) / len(values):.3f} '
                         f'[{min(values):.3f}, {max(values):.3f}]')
        table.append(cells)
    print()
    print('\n'.join(markdown_table(['neck'] + keys, table)))


if __name__ == '__main__':
    main()
