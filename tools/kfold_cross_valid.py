"""Stratified k-fold cross-validation: train every fold, report mean and std.

Adapted from MMPretrain's ``tools/kfold-cross-valid.py`` (Apache-2.0,
OpenMMLab). For every fold it writes a config whose training set is the
other folds of the config's training dataset and whose validation and test
sets are the held-out fold (with the test pipeline), runs
``tools/train.py`` on it in a fresh process, and finally reads each fold's
last validation result and reports the mean and the standard deviation
over folds (sample std, ddof=1), as the paper's Table 6 (5 folds)::

    python tools/kfold_cross_valid.py configs/topgap/resnet18_pets_k256.py \
        --num-splits 5 --seed 0 -- --amp

Folds are stratified (``StratifiedKFoldDataset``: every fold keeps the
class proportions) unless ``--no-stratify`` (MMPretrain's contiguous
``KFoldDataset``). The defaults can also come from the config::

    kfold = dict(num_splits=5, seed=0, stratify=True)

Layout: ``<work_dir>/fold<i>/config.py`` and the fold's training outputs,
``<work_dir>/kfold_summary.json`` with the per-fold values, mean and std.
Arguments after ``--`` go to ``tools/train.py`` unchanged. A fold whose
work directory already holds a result is not trained again, so a rerun
resumes an interrupted experiment; ``--summarize`` only reads the results.
"""
import argparse
import copy
import glob
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from topgap_mm.datasets.held_out import is_held_out_dataset  # noqa: E402

TRAIN_SCRIPT = osp.join(osp.dirname(osp.abspath(__file__)), 'train.py')
SUMMARY_FILE = 'kfold_summary.json'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n', 2)[2])
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--num-splits', type=int, help='number of folds (config or 5)')
    parser.add_argument(
        '--fold',
        type=int,
        nargs='+',
        help='run only these folds (0-based); the summary uses all folds '
        'that have results')
    parser.add_argument(
        '--seed', type=int, help='seed of the split (config or 0)')
    parser.add_argument(
        '--no-stratify',
        action='store_true',
        help="MMPretrain's contiguous folds instead of stratified ones")
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--metric',
        default='accuracy/top1',
        help='validation metric to summarise (default: accuracy/top1)')
    parser.add_argument(
        '--summarize',
        action='store_true',
        help='train nothing; summarise the folds already trained')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='write the fold configs and print the commands only')
    argv = sys.argv[1:] if argv is None else list(argv)
    # Everything after "--" belongs to tools/train.py.
    split = argv.index('--') if '--' in argv else len(argv)
    args = parser.parse_args(argv[:split])
    args.train_args = argv[split + 1:]
    return args


def kfold_settings(cfg: Config, args: argparse.Namespace) -> dict:
    """Fold settings: command line over the config's ``kfold`` over
    defaults."""
    settings = dict(num_splits=5, seed=0, stratify=True)
    settings.update(cfg.get('kfold', None) or {})
    if args.num_splits is not None:
        settings['num_splits'] = args.num_splits
    if args.seed is not None:
        settings['seed'] = args.seed
    if args.no_stratify:
        settings['stratify'] = False
    if settings['num_splits'] < 2:
        raise ValueError(
            f'num_splits must be >= 2, got {settings["num_splits"]}.')
    return settings


def fold_config(cfg: Config, fold: int, num_splits: int, seed: int,
                stratify: bool = True) -> Config:
    """The config of one fold.

    Args:
        cfg (Config): The experiment's config.
        fold (int): The held-out fold.
        num_splits (int): Number of folds.
        seed (int): Seed of the split, shared by all folds.
        stratify (bool): Stratified folds. Defaults to True.

    Returns:
        Config: Training on the other folds, validation and test on
        ``fold``.
    """
    cfg = copy.deepcopy(cfg)
    dataset = cfg.train_dataloader.dataset
    if 'pipeline' not in dataset:
        raise ValueError(
            'The training dataset has no `pipeline` (a dataset wrapper?); '
            'write the fold configs by hand with StratifiedKFoldDataset.')

    def wrap(dataset_cfg: dict, test_mode: bool) -> dict:
        return dict(
            type='StratifiedKFoldDataset' if stratify else 'KFoldDataset',
            dataset=dataset_cfg,
            fold=fold,
            num_splits=num_splits,
            seed=seed,
            test_mode=test_mode)

    if is_held_out_dataset(dataset):
        # The folds are the held-out data: k-fold splits the whole official
        # training split, not what remains of it after a `val` is carved.
        dataset['val_fraction'] = None
    cfg.train_dataloader.dataset = wrap(copy.deepcopy(dataset), False)
    for name in ('val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if loader is None:
            continue
        held_out = copy.deepcopy(dataset)
        held_out['pipeline'] = loader.dataset.get('pipeline',
                                                  dataset['pipeline'])
        loader.dataset = wrap(held_out, True)
    cfg.pop('kfold', None)
    return cfg


def last_result(fold_dir: str, metric: str) -> Optional[float]:
    """The last logged value of ``metric`` in a fold's work directory.

    mmengine's ``LocalVisBackend`` writes one JSON line per log step to
    ``<fold_dir>/<timestamp>/vis_data/scalars.json``; a resumed run adds a
    newer timestamp folder, so the newest one with the metric wins.
    """
    for path in sorted(
            glob.glob(osp.join(fold_dir, '*', 'vis_data', 'scalars.json')),
            reverse=True):
        values = []
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if metric in record:
                    values.append(float(record[metric]))
        if values:
            return values[-1]
    return None


def summarize(values: Dict[int, float], metric: str) -> dict:
    """Mean and sample standard deviation of the per-fold values."""
    arr = np.array(list(values.values()), dtype=np.float64)
    return dict(
        metric=metric,
        folds={str(k): v
               for k, v in sorted(values.items())},
        mean=float(arr.mean()),
        std=float(arr.std(ddof=1)) if arr.size > 1 else float('nan'),
        num_folds=int(arr.size))


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    settings = kfold_settings(cfg, args)
    num_splits = settings['num_splits']
    work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    folds = args.fold if args.fold is not None else range(num_splits)
    for fold in folds:
        if not 0 <= fold < num_splits:
            raise ValueError(f'fold {fold} is outside 0..{num_splits - 1}.')
        fold_dir = osp.join(work_dir, f'fold{fold}')
        if args.summarize or last_result(fold_dir, args.metric) is not None:
            continue
        fold_cfg = osp.join(fold_dir, 'config.py')
        os.makedirs(fold_dir, exist_ok=True)
        fold_config(cfg, fold, num_splits, settings['seed'],
                    settings['stratify']).dump(fold_cfg)
        cmd = [
            sys.executable, TRAIN_SCRIPT, fold_cfg, '--work-dir', fold_dir,
            *args.train_args
        ]
        print(f'[fold {fold + 1}/{num_splits}]', ' '.join(cmd), flush=True)
        if not args.dry_run:
            subprocess.run(cmd, check=True)
    if args.dry_run:
        return {}
    values = {}
    for fold in range(num_splits):
        value = last_result(osp.join(work_dir, f'fold{fold}'), args.metric)
        if value is not None:
            values[fold] = value
    if not values:
        raise RuntimeError(f'No fold under {work_dir!r} has logged '
                           f'{args.metric!r}; check --metric.')
    summary = dict(summarize(values, args.metric), **settings)
    with open(osp.join(work_dir, SUMMARY_FILE), 'w') as f:
        json.dump(summary, f, indent=2)
    print(f'{args.metric} over {summary["num_folds"]} of {num_splits} '
          f'folds: {summary["mean"]:.3f} +- {summary["std"]:.3f} '
          f'(std with ddof=1)')
    return summary


if __name__ == '__main__':
    main()
