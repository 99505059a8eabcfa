"""Magnitudes of the two Top-GAP loss terms and their gradients at
initialisation, on one batch of the embedded benchmark.

Prints, per seed, the mean |CAM|, ``loss_cls``, ``loss_l1``, the norms of
both terms' gradients on the head's 1x1 convolution and on the finest neck
convolution, and the squared norm of what the head's 1x1 convolution sees
at a position against what the twin's linear head sees (an SGD step on a
linear layer moves its output in proportion to that): the numbers behind
the diagnosis in ``topgap_mm/engine/hooks/loss_weight_warmup_hook.py``.

Usage::

    .venv/bin/python benchmarks/l1_init_scale.py --seeds 0 1 2
"""
import argparse
import math
import os.path as osp
import sys

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import topgap_mm  # noqa: E402,F401  (registers the plugin's modules)
from mmpretrain.registry import DATASETS, MODELS  # noqa: E402
from topgap_mm.models.utils import sum_at_finest  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--config', default='configs/topgap/resnet18_fashionbg_k16.py')
    parser.add_argument(
        '--twin-config', default='configs/standard/resnet18_fashionbg.py')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument(
        '--correlation',
        type=float,
        default=0.25,
        help='background-class correlation of the batch (0.25: none)')
    return parser.parse_args()


def grad_norm(loss, param):
    return torch.autograd.grad(loss, param, retain_graph=True)[0].norm()


def main():
    args = parse_args()
    cfg = Config.fromfile(osp.join(ROOT, args.config))
    dataset = DATASETS.build(
        dict(
            cfg.train_dataloader.dataset,
            correlation=args.correlation,
            num_samples=args.batch_size))
    batch = pseudo_collate([dataset[i] for i in range(args.batch_size)])
    twin_cfg = Config.fromfile(osp.join(ROOT, args.twin_config))
    print('seed  mean|CAM|  loss_cls  loss_l1  head grad CE / L1 (ratio)  '
          'neck grad CE / L1  |head input|^2 Top-GAP / twin')
    for seed in args.seeds:
        torch.manual_seed(seed)
        model = MODELS.build(cfg.model)
        model.init_weights()
        model.train()
        data = model.data_preprocessor(batch, True)
        feats = model.extract_feat(data['inputs'])
        cam = model.head.forward_cam(feats)
        fused = sum_at_finest(feats, model.head.upsample_mode)
        topgap_sq = fused.pow(2).sum(1).mean()
        torch.manual_seed(seed)
        twin = MODELS.build(twin_cfg.model)
        twin.init_weights()
        twin.train()
        with torch.no_grad():
            twin_sq = twin.extract_feat(
                data['inputs'])[-1].pow(2).sum(1).mean()
        labels = torch.cat([s.gt_label for s in data['data_samples']])
        loss_cls = F.cross_entropy(model.head.pool(cam), labels)
        loss_l1 = model.head.l1_loss_module(cam)
        head = model.head.conv_cam.weight
        neck = model.neck.convs[0].conv.weight
        h_ce, h_l1 = grad_norm(loss_cls, head), grad_norm(loss_l1, head)
        n_ce, n_l1 = grad_norm(loss_cls, neck), grad_norm(loss_l1, neck)
        print(f'{seed:>4}  {cam.abs().mean():9.3f}  {loss_cls:8.3f}  '
              f'{loss_l1:7.3f}  {h_ce:8.3f} / {h_l1:6.3f} '
              f'({h_l1 / h_ce:4.2f}x)'
              f'  {n_ce:8.4f} / {n_l1:6.4f}    {topgap_sq:7.1f} / '
              f'{twin_sq:5.1f} ({topgap_sq / twin_sq:4.1f}x)')
    print(f'chance: ln {model.head.num_classes} = '
          f'{math.log(model.head.num_classes):.3f}')


if __name__ == '__main__':
    main()
