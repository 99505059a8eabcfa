"""Parameter counts of the Top-GAP models and their standard twins.

For every config in ``configs/topgap`` the model and its twin in
``configs/standard`` (the same name without the ``_k<K>`` suffix) are built
from the configs, without loading or initialising weights (nothing is
downloaded), and their parameters are counted next to the paper's Table 1.

The paper's rows were counted at different class counts: VGG11-BN and
DenseNet-121 at 1000 (ImageNet; their "unmodified" numbers are the
torchvision models), EfficientNet-B0 at 53 (the COCO subset: 4.08M is B0's
backbone plus a 53-class linear layer). By default each row is counted at
the paper's class count so the numbers are comparable, and rows without a
paper number at the config's own class count; ``--num-classes N`` counts
every row at N classes.

The ``unused`` column counts built parameters that no output depends on,
found with one forward and backward pass at the config's crop size (e.g.
mmpretrain's EfficientNet runs its 1280-channel head conv although the
Top-GAP model only uses the maps before it). ``--no-unused`` skips it.

Usage::

    PYTHONPATH=. python tools/analysis_tools/count_params.py
    PYTHONPATH=. python tools/analysis_tools/count_params.py \
        --num-classes 200 --format markdown
"""
import argparse
import glob
import os.path as osp
import re
import sys
import warnings
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.config import Config

# Table 1 of the paper: name prefix -> (unmodified, ours, classes counted).
PAPER_TABLE1: Dict[str, Tuple[float, float, int]] = {
    'vgg11bn': (132.87e6, 12.43e6, 1000),
    'efficientnet-b0': (4.08e6, 4.75e6, 53),
    'densenet121': (7.98e6, 8.03e6, 1000),
}

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def twin_path(topgap_cfg: str, config_dir: str) -> str:
    """The standard twin of a Top-GAP config: the name without ``_k<K>``."""
    name = osp.splitext(osp.basename(topgap_cfg))[0]
    return osp.join(config_dir, 'standard',
                    re.sub(r'_k\d+$', '', name) + '.py')


def row_name(topgap_cfg: str) -> str:
    """``resnet18_cub_k256.py`` -> ``resnet18_cub``."""
    name = osp.splitext(osp.basename(topgap_cfg))[0]
    return re.sub(r'_k\d+$', '', name)


def paper_entry(name: str) -> Optional[Tuple[float, float, int]]:
    for prefix, entry in PAPER_TABLE1.items():
        if name.startswith(prefix + '_'):
            return entry
    return None


def set_num_classes(cfg: Config, num_classes: int) -> None:
    """Set the class count wherever the model config holds it."""
    model = cfg.model
    head = model.get('head') or {}
    if 'num_classes' in head:
        head['num_classes'] = num_classes
    backbone = model.get('backbone') or {}
    # mmpretrain's VGG keeps its classifier in the backbone.
    if backbone.get('num_classes', -1) > 0:
        backbone['num_classes'] = num_classes
    if cfg.get('data_preprocessor') is not None and \
            'num_classes' in cfg.data_preprocessor:
        cfg.data_preprocessor['num_classes'] = num_classes


def config_num_classes(cfg: Config) -> int:
    head = cfg.model.get('head') or {}
    if 'num_classes' in head:
        return head['num_classes']
    return cfg.model.backbone.get('num_classes', -1)


def input_size(cfg: Config) -> int:
    """The training crop size, read from the train pipeline (default 224)."""
    try:
        pipeline = cfg.train_dataloader.dataset.pipeline
    except AttributeError:
        return 224
    for t in pipeline:
        size = t.get('crop_size')
        if size is None and t.get('type') == 'RandomResizedCrop':
            size = t.get('scale')
        if size is not None:
            return size if isinstance(size, int) else max(size)
    return 224


def build_model(cfg: Config) -> torch.nn.Module:
    """Build the classifier of a config; weights are neither loaded nor
    initialised (``init_weights`` is never called)."""
    from mmpretrain.registry import MODELS
    model_cfg = cfg.model.copy()
    if 'data_preprocessor' not in model_cfg and \
            cfg.get('data_preprocessor') is not None:
        model_cfg['data_preprocessor'] = cfg.data_preprocessor
    return MODELS.build(model_cfg)


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_unused(model: torch.nn.Module, size: int) -> int:
    """Parameters that receive no gradient from the model's output."""
    model.eval()
    model.zero_grad(set_to_none=True)
    head = getattr(model, 'head', None)
    pool = getattr(head, 'pool', None)
    if pool is not None and hasattr(pool, 'k'):
        pool.k = 1.0  # any valid k: the count does not depend on it
    out = model(torch.randn(1, 3, size, size), mode='tensor')
    if isinstance(out, (tuple, list)):
        out = out[-1]
    out.sum().backward()
    unused = sum(p.numel() for p in model.parameters()
                 if p.requires_grad and p.grad is None)
    model.zero_grad(set_to_none=True)
    return unused


def fmt(n: Optional[float]) -> str:
    return '-' if n is None else f'{n / 1e6:.2f}M'


def collect(config_dir: str, num_classes: Optional[int],
            with_unused: bool) -> List[dict]:
    rows = []
    for path in sorted(glob.glob(osp.join(config_dir, 'topgap', '*.py'))):
        name = row_name(path)
        twin = twin_path(path, config_dir)
        paper = paper_entry(name)
        cfg = Config.fromfile(path)
        if num_classes is not None:
            classes = num_classes
        elif paper is not None:
            classes = paper[2]
        else:
            classes = config_num_classes(cfg)
        set_num_classes(cfg, classes)
        model = build_model(cfg)
        row = dict(
            name=name,
            classes=classes,
            k=cfg.model.head.get('k'),
            topgap=count(model),
            standard=None,
            paper_standard=None,
            paper_topgap=None,
            unused=None)
        if paper is not None and paper[2] == classes:
            row['paper_standard'], row['paper_topgap'] = paper[:2]
        if with_unused:
            with torch.enable_grad():
                row['unused'] = count_unused(model, input_size(cfg))
        if osp.exists(twin):
            tcfg = Config.fromfile(twin)
            set_num_classes(tcfg, classes)
            row['standard'] = count(build_model(tcfg))
        rows.append(row)
    return rows


def render(rows: List[dict], markdown: bool, with_unused: bool) -> str:
    header = [
        'model', 'classes', 'k', 'standard', 'standard (paper)', 'Top-GAP',
        'Top-GAP (paper)'
    ]
    if with_unused:
        header += ['Top-GAP unused', 'Top-GAP used']
    table = []
    for r in rows:
        line = [
            r['name'],
            str(r['classes']),
            str(r['k']),
            fmt(r['standard']),
            fmt(r['paper_standard']),
            fmt(r['topgap']),
            fmt(r['paper_topgap'])
        ]
        if with_unused:
            line += [
                fmt(r['unused']),
                fmt(r['topgap'] - r['unused']),
            ]
        table.append(line)
    if markdown:
        from topgap_mm.utils import markdown_table
        return '\n'.join(
            markdown_table(header, table,
                           ['left'] + ['right'] * (len(header) - 1)))
    widths = [
        max(len(x) for x in col) for col in zip(header, *table)
    ]
    def join(cells):  # noqa: E306
        return '  '.join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths)))
    out = [join(header), join(['-' * w for w in widths])]
    out += [join(line) for line in table]
    return '\n'.join(out)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Count the parameters of the Top-GAP models and their '
        'standard twins, next to the paper\'s Table 1 (no weights are '
        'loaded or downloaded).')
    parser.add_argument(
        '--config-dir',
        default=osp.join(REPO_ROOT, 'configs'),
        help='folder holding topgap/ and standard/ (default: configs/)')
    parser.add_argument(
        '--num-classes',
        type=int,
        default=None,
        help='count every model at this many classes (default: the '
        'paper\'s class count for rows of Table 1, else the config\'s)')
    parser.add_argument(
        '--format',
        choices=['text', 'markdown'],
        default='text',
        help='output format')
    parser.add_argument(
        '--no-unused',
        action='store_true',
        help='skip the forward/backward pass that finds unused parameters')
    args = parser.parse_args(argv)
    if args.num_classes is not None and args.num_classes <= 0:
        parser.error('--num-classes must be positive')
    return args


def main(argv=None):
    args = parse_args(argv)
    if REPO_ROOT not in sys.path:
        sys.path.insert(0, REPO_ROOT)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        import topgap_mm  # noqa: F401  (registers the Top-GAP modules)
        rows = collect(args.config_dir, args.num_classes,
                       not args.no_unused)
    if not rows:
        sys.exit(f'no configs found under {args.config_dir}/topgap')
    print(render(rows, args.format == 'markdown', not args.no_unused))
    if args.num_classes is None:
        print()
        print('Classes: the paper\'s count for rows of its Table 1 '
              '(VGG11-BN, DenseNet-121: 1000; EfficientNet-B0: 53), the '
              'config\'s count otherwise.')
    if not args.no_unused:
        print('unused: built parameters no output depends on (one '
              'forward/backward pass at the training crop size).')


if __name__ == '__main__':
    main()
