"""Suggest Top-GAP's k from the object sizes of a config's training split.

Reads the object masks (or, without masks, the boxes) of the training
split through the config's test pipeline, maps each object's area onto
the config's CAM grid, prints the distribution and a suggested k (the
median object's area) with its fraction, and ends with the
``--cfg-options`` line that sets it. See
:mod:`topgap_mm.analysis.object_sizes`.

Usage::

    python tools/analysis_tools/suggest_k.py configs/topgap/resnet18_fashionbg_k16.py
    python tools/analysis_tools/suggest_k.py configs/topgap/resnet18_cub_k256.py \
        --num-samples 1000 --out work_dirs/suggest_k.json
"""
import argparse
import json
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import topgap_mm  # noqa: E402,F401,I001  (registers modules, quiets imports)
from mmengine.config import DictAction  # noqa: E402

from topgap_mm.analysis import build_classifier, load_config  # noqa: E402
from topgap_mm.analysis.object_sizes import (  # noqa: E402
    cam_grid, format_suggestion, measure_objects, suggest_k,
    training_split_with_test_pipeline)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a Top-GAP config')
    parser.add_argument(
        '--num-samples', type=int, default=500,
        help='first N training images (default 500); 0 takes all')
    parser.add_argument('--out', help='also write the result as JSON')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='overrides of the config, e.g. the data root')
    args = parser.parse_args(argv)
    if args.num_samples < 0:
        parser.error('--num-samples must be >= 0')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        sys.exit(f'suggest_k.py: no config {args.config!r}.')
    cfg = load_config(args.config, args.cfg_options)
    dataset = training_split_with_test_pipeline(cfg)
    try:
        grid = cam_grid(build_classifier(cfg, None), dataset)
        fractions, source = measure_objects(dataset, args.num_samples
                                            or None)
    except ValueError as e:
        sys.exit(f'suggest_k.py: {e}')
    result = dict(suggest_k(fractions, grid), source=source)
    print(format_suggestion(result))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(result, config=args.config), f, indent=1)
    return result


if __name__ == '__main__':
    main()
