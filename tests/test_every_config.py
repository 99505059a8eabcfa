"""Every config under ``configs/`` works as shipped, from the project root.

Each model config (every config outside ``configs/studies``, whose study
configs ``tests/test_study.py`` plans) is trained for
one iteration by ``tools/train.py`` and its checkpoint tested for one
iteration by ``tools/test.py``, in process, on the CPU. The datasets are
the tiny official-layout fixtures of ``test_public_datasets``, written at
each dataset's own default relative ``data_root`` (``data/CUB_200_2011``,
...) inside a temporary working directory, so a relative root that only
an absolute path would hide fails here. A config whose dataset type has no
fixture writer below fails, so a new config is covered or says what it
lacks.

What the test overrides, all through ``--cfg-options`` as a user would:
the dataloaders (batch 2, no workers, the first 2 samples of each split
via MMEngine's ``indices``: one iteration each), one epoch, checkpoints
without the optimizer state, the pipelines' resize and crop sizes (scaled
down, enough for the CAM to hold ``k`` positions), the generated
benchmark's sample count, ImageNet-C's corruptions (one of them at one
severity: every pair needs all 1000 class folders), the attacks' queries
and steps, COCO's class count (the converter's count, which the config
asks to be set) and the ``init_cfg`` of backbones that would download
ImageNet weights (dropped, and said so in the report).
"""
import functools
import gc
import glob
import json
import os
import os.path as osp
import shutil
import sys
import time

import pytest
import torch

from mmpretrain.datasets import CIFAR10
from test_backbones_and_configs import count_params, fast_size, load_cfg
from test_public_datasets import (imagenet_wnids, write_cifar10, write_coco,
                                  write_cub, write_folders, write_imagenet,
                                  write_pets, write_waterbirds)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: Every model config. Study configs (``configs/studies``) hold a ``study``
#: dict for ``tools/study.py``; ``tests/test_study.py`` plans each of them.
CONFIGS = sorted(
    path for path in glob.glob(
        osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if not {'_base_', 'studies'} & set(
        osp.relpath(path, ROOT).split(os.sep)))
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
#: Dataset arguments that size a dataset generated in memory or chosen by
#: the config (not files on disk), set small.
SMALL_DATASETS = {
    'FashionBackgroundsDataset': dict(num_samples=8),
    'ImageNetC': dict(corruptions='fog', severities=1),
}
#: Attack arguments that set an attack's cost (queries, steps), set small.
SMALL_ATTACKS = dict(n_queries=20, steps=2)
#: Classes the converter keeps from ``write_coco``'s annotations.
COCO_CLASSES = 2
#: What each config ran with and how long it took, printed at the end.
REPORT = {}


def _rel(path):
    return osp.relpath(path, ROOT)


def _each(value):
    return [value] if isinstance(value, (str, int)) else value


def _write_coco(root, dataset, size):
    assert write_coco(root)['classes'] == COCO_CLASSES


def _write_imagenet_c(root, dataset, size):
    # The images are centre crops at the model's input size: the config
    # has no resize.
    for corruption in _each(dataset['corruptions']):
        for severity in _each(dataset['severities']):
            write_folders(
                osp.join(root, corruption, str(severity)),
                imagenet_wnids(),
                per_class=1,
                size=size)


#: Dataset type -> writer of its official layout at ``data_root``, given
#: the root, the dataset config and the input size of the run.
WRITERS = {
    'CUBWithMasks':
    lambda root, dataset, size: write_cub(root, all_classes=True),
    'OxfordIIITPetWithMasks':
    lambda root, dataset, size: write_pets(root),
    'Waterbirds':
    lambda root, dataset, size: write_waterbirds(
        root, write_cub(osp.join('scratch', 'waterbirds_cub'))),
    'COCOSingleObject':
    _write_coco,
    'CheckedImageNet':
    lambda root, dataset, size: write_imagenet(root),
    'ImageNetSketch':
    lambda root, dataset, size: write_folders(
        root, imagenet_wnids(), per_class=1, name='sketch', size=size),
    'ImageNetC':
    _write_imagenet_c,
    'CIFAR10':
    lambda root, dataset, size: write_cifar10(root),
    # Generated in memory from data that ship with the package.
    'FashionBackgroundsDataset':
    None,
}


@pytest.fixture(scope='module')
def workdir(tmp_path_factory):
    """The working directory the configs run from; fixtures are written
    into its ``data/`` on first use."""
    return str(tmp_path_factory.mktemp('every_config'))


def _datasets(cfg):
    """``(loader, key prefix, dataset config)`` of every dataloader,
    through dataset wrappers."""
    for loader in LOADERS:
        if cfg.get(loader) is None:
            continue
        prefix, dataset = f'{loader}.dataset', cfg[loader].dataset
        while 'dataset' in dataset:
            prefix, dataset = f'{prefix}.dataset', dataset.dataset
        yield loader, prefix, dataset


def _downloads(model, prefix='model'):
    """Keys of ``init_cfg`` entries whose checkpoint is a URL."""
    found = []
    for key, value in model.items():
        if key == 'init_cfg' and isinstance(value, dict) and '://' in str(
                value.get('checkpoint', '')):
            found.append(f'{prefix}.init_cfg')
        elif isinstance(value, dict):
            found += _downloads(value, f'{prefix}.{key}')
    return found


def _size_options(cfg, path):
    """Options scaling every resize and crop of the pipelines so that the
    training crop becomes the small input size of ``fast_size``."""
    crop, size = count_params.input_size(cfg), fast_size(path)
    options = {}
    if size == crop:
        return options, size
    for _, prefix, dataset in _datasets(cfg):
        for i, transform in enumerate(dataset.get('pipeline', [])):
            for key in ('scale', 'crop_size'):
                value = transform.get(key)
                if isinstance(value, int):
                    options[f'{prefix}.pipeline.{i}.{key}'] = round(
                        value * size / crop)
                elif isinstance(value, (tuple, list)):
                    options[f'{prefix}.pipeline.{i}.{key}'] = tuple(
                        round(v * size / crop) for v in value)
    return options, size


def _attack_options(cfg):
    """Options that cut the attacks of the evaluators to a few steps."""
    options = {}
    for name in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg.get(name) or []
        metrics = evaluator if isinstance(evaluator, list) else [evaluator]
        for i, metric in enumerate(metrics):
            prefix = f'{name}.{i}' if isinstance(evaluator, list) else name
            for j, attack in enumerate(metric.get('attacks', [])):
                options.update({
                    f'{prefix}.attacks.{j}.{key}': value
                    for key, value in SMALL_ATTACKS.items() if key in attack
                })
    return options


def _options(cfg, path):
    """``--cfg-options`` for one small iteration of every split, and what
    the report says about them."""
    options, size = _size_options(cfg, path)
    notes = [f'{size} px']
    for loader, prefix, dataset in _datasets(cfg):
        options.update({
            f'{loader}.batch_size': 2,
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False,
            f'{prefix}.indices': 2,
        })
        for key, value in SMALL_DATASETS.get(dataset.type, {}).items():
            options[f'{prefix}.{key}'] = value
    options.update(_attack_options(cfg))
    # The test reads the weights only.
    options['default_hooks.checkpoint.save_optimizer'] = False
    loop = cfg.train_cfg
    options['train_cfg.max_epochs' if 'max_epochs' in loop else
            'train_cfg.max_iters'] = 1
    options['train_cfg.val_interval'] = 1
    for key in _downloads(cfg.model):
        options[key] = None
        notes.append(f'{key[len("model."):]} dropped (download)')
    if cfg.train_dataloader.dataset.type == 'COCOSingleObject':
        # The converter's class count, as the config asks for.
        options['model.head.num_classes'] = COCO_CLASSES
        options['data_preprocessor.num_classes'] = COCO_CLASSES
        notes.append(f'num_classes={COCO_CLASSES} (converter)')
    return options, size, notes


def _write_fixtures(cfg, options, size, written):
    """Write the official layout of every dataset the config reads at its
    own ``data_root``, once per dataset type and root."""
    for loader, prefix, dataset in _datasets(cfg):
        if dataset.type not in WRITERS:
            pytest.fail(f'{loader}: no official-layout fixture for dataset '
                        f'type {dataset.type!r}; add a writer to WRITERS.')
        writer = WRITERS[dataset.type]
        if writer is None:
            continue
        root = osp.normpath(dataset.data_root)
        assert not osp.isabs(root), f'{loader}: data_root {root!r}'
        if (dataset.type, root) in written:
            continue
        dataset = dict(dataset, **{
            key[len(prefix) + 1:]: value
            for key, value in options.items() if key.startswith(prefix + '.')
        })
        writer(root, dataset, size)
        written.add((dataset['type'], root))


def _argv(options):
    return [f'{k}={v}'.replace(' ', '') for k, v in options.items()]


@pytest.fixture(scope='module')
def written():
    return set()


@pytest.fixture(scope='module', autouse=True)
def fast_process():
    """Cuts the fixed costs of a Runner that dwarf one iteration of two
    small images, none of which the configs' behaviour depends on: one
    intra-op thread (more only contend on a busy machine), a garbage
    collector that skips the objects of the imports (MMEngine's datasets
    collect once each), MMEngine's lookup of ``mmpretrain::`` bases in
    MMPretrain's model index read once, not per config file, and
    configs dumped to the logs and checkpoints without yapf's layout."""
    from mmengine.config import config as config_module
    from mmengine.config import utils as config_utils
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    gc.freeze()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config_utils, 'load',
                      functools.lru_cache(maxsize=None)(config_utils.load))
        patch.setattr(config_module, 'FormatCode',
                      lambda text, **kwargs: (text, False))
        # The CPU on every machine, as on the user's without a GPU.
        patch.setattr(torch.cuda, 'is_available', lambda: False)
        yield
    gc.unfreeze()
    torch.set_num_threads(threads)


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_config_trains_and_tests_one_iteration(path, workdir, written,
                                               monkeypatch):
    from tools import test as test_tool
    from tools import train as train_tool

    cfg = load_cfg(path)
    assert 'model' in cfg, (f'{_rel(path)} has no `model`; study configs '
                            'belong under configs/studies')
    start = time.perf_counter()
    monkeypatch.chdir(workdir)
    # The md5 sums of CIFAR-10's batches cannot match a fixture.
    monkeypatch.setattr(CIFAR10, '_check_integrity', lambda self: True)
    options, size, notes = _options(cfg, path)
    _write_fixtures(cfg, options, size, written)
    name = osp.splitext(_rel(path))[0].replace(os.sep, '_')
    work_dir = osp.join('work_dirs', name)
    monkeypatch.setattr(sys, 'argv', [
        'tools/train.py', path, '--work-dir', work_dir, '--cfg-options',
        *_argv(options)
    ])
    train_tool.main()
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    meta = torch.load(checkpoint, mmap=True, weights_only=True)['meta']
    assert (meta['epoch'], meta['iter']) == (1, 1)
    out = osp.join(work_dir, 'metrics.json')
    monkeypatch.setattr(sys, 'argv', [
        'tools/test.py', path, checkpoint, '--work-dir', work_dir, '--out',
        out, '--out-item', 'metrics', '--cfg-options', *_argv(options)
    ])
    test_tool.main()
    with open(out) as f:
        metrics = json.load(f)
    assert 0 <= metrics['accuracy/top1'] <= 100, metrics
    # The checkpoints add up to gigabytes over all configs.
    shutil.rmtree(work_dir)
    REPORT[_rel(path)] = (time.perf_counter() - start, notes)


def test_zz_report():
    """Prints the configs that ran, their time and what they ran with
    (run with ``-s`` to see it)."""
    for config, (seconds, notes) in sorted(REPORT.items()):
        print(f'\n{config}: {seconds:.1f} s ({", ".join(notes)})')
    print(f'\n{len(REPORT)} configs in '
          f'{sum(seconds for seconds, _ in REPORT.values()):.0f} s')
