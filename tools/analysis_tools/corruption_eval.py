"""Accuracy under ImageNet-C corruptions applied on the fly to a test set.

Each corruption is inserted into the config's test pipeline right before
the packing transform (``ApplyCorruption``, from ``imagecorruptions-imaug``)
and the model's top-1 accuracy is measured per corruption and severity on
the first ``--num-samples`` test samples; the noise of each image is seeded
by its index, so runs are reproducible. Prints a table and writes JSON.

Usage::

    PYTHONPATH=. python tools/analysis_tools/corruption_eval.py \
        configs/topgap/resnet18_fashionbg_k16.py work_dirs/topgap.pth \
        --corruptions gaussian_noise fog --severities 1 3 5 \
        --num-samples 200 --out work_dirs/corruptions.json
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.config import DictAction
from tqdm import tqdm

import topgap_mm  # noqa: F401  (registers modules, fixes checkpoint loading)
from topgap_mm.analysis import (build_test_dataset, iter_batches,
                                load_classifier, num_to_take)
from topgap_mm.evaluation.robustness.corruptions import (SEVERITIES,
                                                         corruption_names)
from topgap_mm.utils import markdown_table


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument(
        '--corruptions', nargs='+', default=None,
        help='names (default: the 15 common ImageNet-C corruptions)')
    parser.add_argument(
        '--severities', type=int, nargs='+', default=list(SEVERITIES))
    parser.add_argument(
        '--num-samples', type=int, default=None,
        help='first N test samples (default all)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='JSON file for the results')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


@torch.no_grad()
def accuracy(model, dataset, num_samples: Optional[int],
             batch_size: int) -> float:
    """Top-1 accuracy of the model on the first ``num_samples`` items."""
    correct = 0
    for batch in iter_batches(dataset, num_samples, batch_size):
        for sample in model.test_step(batch):
            correct += int(sample.pred_label.view(-1)[0] ==
                           sample.gt_label.view(-1)[0])
    return correct / num_to_take(dataset, num_samples)


def format_table(results: Dict[str, Dict[str, float]], clean: float,
                 severities) -> str:
    """Markdown table: one row per corruption, one column per severity."""
    rows = []
    for name, row in results.items():
        values = [row[str(s)] for s in severities]
        rows.append([name] + [f'{v:.4f}' for v in values] +
                    [f'{sum(values) / len(values):.4f}'])
    header = ['corruption'] + [f'sev {s}' for s in severities] + ['mean']
    return '\n'.join([f'Clean accuracy: {clean:.4f}', ''] +
                     markdown_table(header, rows))


def main(argv=None) -> dict:
    args = parse_args(argv)
    names = args.corruptions or corruption_names('common')
    model, cfg = load_classifier(args.config, args.checkpoint,
                                 args.cfg_options, args.device)
    clean = accuracy(model, build_test_dataset(cfg), args.num_samples,
                     args.batch_size)
    results: Dict[str, Dict[str, float]] = {}
    runs = [(name, severity) for name in names for severity in args.severities]
    for name, severity in tqdm(runs, desc='corruptions'):
        dataset = build_test_dataset(cfg, extra_transforms=[
            dict(type='ApplyCorruption', corruption=name, severity=severity,
                 seed=args.seed)
        ])
        results.setdefault(name, {})[str(severity)] = accuracy(
            model, dataset, args.num_samples, args.batch_size)
    print(format_table(results, clean, args.severities))
    report = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        num_samples=args.num_samples,
        clean_acc=clean,
        accuracy=results)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(report, f, indent=1)
    return report


if __name__ == '__main__':
    main()
