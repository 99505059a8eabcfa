"""ERF maps of nine output positions, averaged over images (paper Fig. 3).

For the corners, edge centres and centre of the model's output map (the
CAM of a Top-GAP model, the last backbone map of a standard one), the
absolute input gradient of the output position (summed over output and
colour channels, :func:`topgap_mm.evaluation.metrics.erf_maps`) is averaged
over the first images of the test split and drawn in a 3x3 grid with one
colour scale. The numbers (mean ERF per position, Def. 6's centre, corner
and distance for these images) are written to a JSON beside the figure.

Usage::

    PYTHONPATH=. python tools/analysis_tools/erf_figure.py \
        configs/topgap/resnet18_fashionbg_k16.py work_dirs/.../epoch_30.pth \
        --out erf_topgap.png --num-images 64
"""
import argparse
import json
import os.path as osp

import torch
from mmengine.config import DictAction

import topgap_mm  # noqa: F401  (registers the modules)
from topgap_mm.analysis import build_test_dataset, load_classifier
from topgap_mm.evaluation.metrics.erf_distance import (GRID_3X3,
                                                       NORMALIZATIONS, OUTPUTS)
from topgap_mm.visualization.erf import mean_erf_maps, plot_erf_grid


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='figure file (.png)')
    parser.add_argument(
        '--num-images', type=int, default=32, help='images to average over')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument(
        '--split',
        choices=['test', 'val'],
        default='test',
        help='take the images from the test or val dataloader of the config')
    parser.add_argument('--output', choices=OUTPUTS, default='auto')
    parser.add_argument(
        '--normalize',
        choices=NORMALIZATIONS,
        default='none',
        help="'zscore' normalises each image's gradients over all nine "
        'positions together')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as in tools/test.py')
    return parser.parse_args()


def main():
    args = parse_args()
    model, cfg = load_classifier(args.config, args.checkpoint,
                                 args.cfg_options, args.device)
    dataset = build_test_dataset(cfg, loader=args.split)

    maps, cells, output_size, num = mean_erf_maps(
        model,
        dataset,
        args.num_images,
        GRID_3X3,
        output=args.output,
        normalize=args.normalize,
        batch_size=args.batch_size)
    name = osp.splitext(osp.basename(args.config))[0]
    plot_erf_grid(
        maps,
        cells,
        output_size,
        args.out,
        title=f'{name}: ERF over {num} images, output map '
        f'{output_size[0]}x{output_size[1]}')

    erf = maps.reshape(len(cells), -1).mean(axis=1)
    center = float(erf[GRID_3X3.index(('mid', 'mid'))])
    corner = float(erf[GRID_3X3.index((0, 0))])
    record = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        split=args.split,
        num_images=num,
        output=args.output,
        normalize=args.normalize,
        output_size=list(output_size),
        image_size=list(maps.shape[-2:]),
        positions=[
            dict(position=list(cell), erf=float(value))
            for cell, value in zip(cells, erf)
        ],
        erf_center=center,
        erf_corner=corner,
        erf_distance=center - corner)
    json_file = osp.splitext(args.out)[0] + '.json'
    with open(json_file, 'w') as f:
        json.dump(record, f, indent=1)
    print(f'Wrote {args.out} and {json_file}: centre {center:.4g}, corner '
          f'{corner:.4g}, distance {center - corner:.4g}')


if __name__ == '__main__':
    with torch.no_grad():
        main()
