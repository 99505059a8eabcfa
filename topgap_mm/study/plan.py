"""The dry run of a study: every run, its state and its cost."""
import math
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config

from ..datasets.held_out import VAL_FRACTION, is_held_out_dataset
from .runner import StudyRunner
from .spec import Run

#: Official training-split sizes, used when the data is not on disk.
OFFICIAL_TRAIN_SIZES = {
    'CUB': 5994,
    'CUBWithMasks': 5994,
    'OxfordIIITPet': 3680,
    'OxfordIIITPetWithMasks': 3680,
    'CIFAR10': 50000,
    'ImageNet': 1281167,
    'CheckedImageNet': 1281167,
    'Waterbirds': 4795,
}


def train_size(cfg: Config) -> Tuple[Optional[int], str]:
    """Number of training samples of a config, and where it came from."""
    from mmpretrain.registry import DATASETS
    dataset = cfg.train_dataloader.dataset
    try:
        return len(DATASETS.build(dataset)), 'counted'
    except (FileNotFoundError, OSError, AssertionError, RuntimeError):
        inner = dataset.get('dataset', dataset)
        size = OFFICIAL_TRAIN_SIZES.get(inner.get('type'))
        if size is None:
            return None, 'unknown: data not on disk'
        fraction = inner.get('val_fraction', VAL_FRACTION)
        if is_held_out_dataset(inner) and fraction:
            return round(size * (1 - fraction)), (
                f'official size less the held-out val ({fraction:g}); '
                'data not on disk')
        return size, 'official size, data not on disk'


def run_cost(run: Run, cache: Dict) -> Dict:
    """Iterations of one run's training from its merged config."""
    cfg = Config.fromfile(run.config)
    cfg.merge_from_dict(run.cfg_options)
    key = repr(cfg.train_dataloader.dataset)
    if key not in cache:
        cache[key] = train_size(cfg)
    size, source = cache[key]
    batch = cfg.train_dataloader.batch_size
    train_cfg = cfg.train_cfg
    if train_cfg.get('by_epoch', True) and 'max_epochs' in train_cfg:
        epochs = train_cfg.max_epochs
        iters = None if size is None else epochs * math.ceil(size / batch)
    else:
        epochs, iters = None, train_cfg.get('max_iters')
    return dict(iters=iters, epochs=epochs, size=size, source=source,
                batch=batch)


def _sharing(runs: List[Run]) -> str:
    """How many twins serve several pairs, for the plan's first line."""
    shared = [r for r in runs if r.shared_with]
    if not shared:
        return ''
    return (f'; {len(shared)} twin run(s) shared by pairs with the same '
            'twin config, each trained once')


#: A run's state in the plan when its directory holds a training of
#: another config (:meth:`StudyRunner.check_trained_with`).
OTHER_CONFIG = 'other config'


def _state(runner: StudyRunner, run: Run) -> str:
    """Where ``run`` stands in the runner's work dir."""
    run_dir = runner.run_dir(run)
    if runner.has_trained(run_dir):
        try:
            runner.check_trained_with(run)
        except ValueError:
            return OTHER_CONFIG
    if runner.is_trained(run_dir):
        return 'trained'
    if osp.isfile(osp.join(run_dir, 'last_checkpoint')):
        return 'partial: resumes'
    return 'to train'


def plan_lines(runner: StudyRunner,
               runs: List[Run],
               sec_per_iter: Optional[float] = None) -> List[str]:
    """Human-readable plan: one line per run, then the totals.

    Args:
        runner (StudyRunner): Gives each run's directory and state.
        runs (list[Run]): The study's runs.
        sec_per_iter (float, optional): Seconds per training iteration on
            the target machine; turns iterations into hours.
    """
    spec = runner.spec
    peers = sorted({p for pair in spec.pairs for p in pair['peers']})
    lines = [
        f'[study] {len(runs)} trainings in {runner.work_dir}: '
        f'{len(spec.regimes)} regime(s) x {len(spec.pairs)} pair(s) x '
        f'{len(spec.seeds)} seed(s) x (Top-GAP'
        f'{" x " + str(len(spec.k_grid)) + " k" if spec.k_grid else ""}'
        ' + twin' + ''.join(f' + {p}' for p in peers) + ')' +
        _sharing(runs),
        f'[study] k and the CAM threshold are chosen on '
        f'`{spec.selection_split}`; reported on {spec.test_splits}; '
        f'baselines: {spec.baselines or "none"}',
    ]
    cache, total, unknown, left, conflicts = {}, 0, 0, 0, 0
    for i, run in enumerate(runs, 1):
        state = _state(runner, run)
        conflicts += state == OTHER_CONFIG
        cost = run_cost(run, cache)
        if cost['iters'] is None:
            unknown += 1
            iters = 'iterations unknown'
        else:
            total += cost['iters']
            left += cost['iters'] if state != 'trained' else 0
            iters = (f"{cost['iters']} iters ({cost['epochs']} epochs x "
                     f"{cost['size']} / {cost['batch']}; {cost['source']})")
        lines.append(f'  {i:>3}. {run.name:<48} {state:<16} {iters}')
    evals = len(runs) * (1 + len(spec.test_splits))
    lines.append(f'[study] {total} training iterations in all, {left} still '
                 f'to run; {evals} test passes (the baselines run within the '
                 "twins').")
    if unknown:
        lines.append(f'[study] {unknown} run(s) of unknown length.')
    if conflicts:
        lines.append(f'[study] {conflicts} run(s) in the work dir were '
                     'trained with another config than the study gives '
                     'them: the study stops before training. Move or delete '
                     'them, or pass another --work-dir.')
    if sec_per_iter:
        lines.append(f'[study] at {sec_per_iter:g} s/iter: '
                     f'{left * sec_per_iter / 3600:.1f} hours of training '
                     'left (evaluation not included).')
    return lines
