"""CAM sparsity against the normalised Top-GAP constraint k (paper Fig. 4).

Each run is a Top-GAP config, its checkpoint and the k it was trained
with (it replaces ``model.head.k`` of the config, so one config serves a
whole sweep); its CAM L1 (the mean of
the min-max normalised CAM, :class:`CAMSparsity`) is measured on the first
images of the test split and plotted against ``k / CAM area``, one line per
label (by default the config's dataset and backbone). The numbers go to a
JSON beside the figure, which ``--results`` plots again without models.

Usage::

    PYTHONPATH=. python tools/analysis_tools/sparsity_vs_k.py \
        --run configs/topgap/resnet18_fashionbg_k16.py work_dirs/k16.pth 16 \
        --run configs/topgap/resnet18_fashionbg_k16.py work_dirs/k64.pth 64 \
        --out sparsity_vs_k.png
    PYTHONPATH=. python tools/analysis_tools/sparsity_vs_k.py \
        --results sparsity_vs_k.json --out sparsity_vs_k.png
"""
import argparse
import json
import os.path as osp
from typing import Union

import torch
from mmengine.config import Config, DictAction

import topgap_mm  # noqa: F401  (registers the modules)
from topgap_mm.analysis import (build_classifier, build_test_dataset,
                                iter_batches, load_config, num_to_take)
from topgap_mm.evaluation.batch_cams import preprocess
from topgap_mm.evaluation.metrics import CAMSparsity
from topgap_mm.visualization.sparsity import normalized_k, plot_sparsity_vs_k


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        '--run',
        nargs=3,
        action='append',
        metavar=('CONFIG', 'CHECKPOINT', 'K'),
        help='a Top-GAP config, its checkpoint and its k (an int counts CAM '
        'positions, a float is a fraction); repeat for each run')
    source.add_argument(
        '--results', help='JSON written by an earlier call, to plot again')
    parser.add_argument('--out', required=True, help='figure file (.png)')
    parser.add_argument(
        '--label',
        action='append',
        help='line label of each --run, in order (default: dataset and '
        'backbone of its config)')
    parser.add_argument('--num-images', type=int, default=256)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--method', default='auto', help='CAM method')
    parser.add_argument('--target', choices=['gt', 'pred'], default='gt')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of every config, as in tools/test.py')
    args = parser.parse_args()
    if args.label and (not args.run or len(args.label) != len(args.run)):
        parser.error('give one --label per --run, or none')
    return args


def default_label(cfg: Config) -> str:
    backbone = cfg.model.backbone
    depth = backbone.get('depth', backbone.get('arch', ''))
    return (f"{cfg.test_dataloader.dataset.type} "
            f"{backbone.type}{'-' if depth else ''}{depth}")


def parse_k(text: str) -> Union[int, float]:
    """``'64'`` -> 64 (positions), ``'0.02'`` -> 0.02 (fraction)."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def measure(config: str, checkpoint: str, k: Union[int, float],
            args) -> dict:
    """CAM size and CAM L1 of one run."""
    cfg = load_config(config, args.cfg_options)
    if 'k' not in cfg.model.get('head', {}):
        raise TypeError(f'{config} is not a Top-GAP model (its head has no '
                        f'`k`); sparsity against k needs Top-GAP runs.')
    cfg.model.head.k = k
    model = build_classifier(cfg, checkpoint, args.device)
    dataset = build_test_dataset(cfg)

    metric = CAMSparsity(
        method=args.method, target=args.target, max_samples=args.num_images)
    metric.attach_model(model)
    num = num_to_take(dataset, args.num_images)
    cam_size = None
    for batch in iter_batches(dataset, num, args.batch_size):
        metric.process(batch, batch['data_samples'])
        if cam_size is None:
            inputs = preprocess(model, batch, 1)['inputs']
            cam_size = tuple(
                model.head.forward_cam(model.extract_feat(inputs)).shape[-2:])
    l1 = metric.evaluate(num)[f'{metric.prefix}/l1']
    return dict(
        label=default_label(cfg),
        config=config,
        checkpoint=checkpoint,
        k=model.head.k,
        cam_size=list(cam_size),
        normalized_k=normalized_k(model.head.k, cam_size),
        l1=l1,
        num_images=num,
        method=args.method,
        target=args.target)


def main():
    args = parse_args()
    if args.results:
        with open(args.results) as f:
            records = json.load(f)['runs']
    else:
        records = [
            measure(config, ckpt, parse_k(k), args)
            for config, ckpt, k in args.run
        ]
        for record, label in zip(records, args.label or []):
            record['label'] = label
    plot_sparsity_vs_k(records, args.out)
    json_file = osp.splitext(args.out)[0] + '.json'
    if not args.results or osp.abspath(json_file) != osp.abspath(args.results):
        with open(json_file, 'w') as f:
            json.dump(dict(runs=records), f, indent=1)
    for record in records:
        print(f"{record['label']}: k/area {record['normalized_k']:.4g} -> "
              f"L1 {record['l1']:.4f}")
    print(f'Wrote {args.out} and {json_file}')


if __name__ == '__main__':
    with torch.no_grad():
        main()
