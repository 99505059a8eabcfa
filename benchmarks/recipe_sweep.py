"""The sweep behind the embedded benchmark's training recipes: per-epoch val
accuracy of Top-GAP and its twin under candidate schedules, with the
study's convergence verdict for each run.

Each candidate is one ``tools/train.py`` run of a model config with
``--cfg-options`` (background independent of the class in every split, as
in the studies' localisation regime), ``--jobs`` at a time with one CPU
thread each. Runs that finished before (a ``train_done`` marker in their
work directory) are read, not trained again.

Usage::

    .venv/bin/python benchmarks/recipe_sweep.py scratch --seeds 0 1 2
    .venv/bin/python benchmarks/recipe_sweep.py finetune --seeds 0
    .venv/bin/python benchmarks/recipe_sweep.py scratch --only lr0.2_12ep
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from topgap_mm.datasets.fashion_backgrounds import \
    DEFAULT_NUM_SAMPLES  # noqa: E402
from topgap_mm.study.convergence import convergence_verdict  # noqa: E402
from topgap_mm.utils import markdown_table  # noqa: E402
from topgap_mm.visualization.training_curves import \
    read_epoch_curves  # noqa: E402

LOCALISATION = [
    f'{loader}.dataset.correlation=0.25'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
]
SCRATCH = dict(
    topgap='configs/topgap/resnet18_fashionbg_k16.py',
    twin='configs/standard/resnet18_fashionbg.py')
FINETUNE = dict(
    topgap='configs/topgap/efficientnet-lite0_fashionbg_k64.py',
    twin='configs/standard/efficientnet-lite0_fashionbg.py')


def scratch_schedule(epochs: int, lr: float) -> dict:
    """One warm-up epoch, then cosine to 0 at ``epochs``."""
    return dict(options=[
        f'train_cfg.max_epochs={epochs}', f'param_scheduler.1.T_max='
        f'{epochs - 1}', f'param_scheduler.1.end={epochs}',
        f'optim_wrapper.optimizer.lr={lr}'
    ])


def finetune_schedule(epochs: int, new_layers: dict) -> dict:
    """20 warm-up iterations, cosine to 0 at ``epochs``; ``new_layers``
    maps parameter-name keys to their learning-rate multiplier (replacing
    the config's own: dotted keys cannot be given as ``--cfg-options``)."""
    return dict(
        options=[
            f'train_cfg.max_epochs={epochs}',
            f'param_scheduler.1.T_max={epochs}',
            f'param_scheduler.1.end={epochs}'
        ],
        config='optim_wrapper = dict(paramwise_cfg=dict(_delete_=True, '
        'custom_keys={' + ', '.join(f'{k!r}: dict(lr_mult={v})'
                                    for k, v in new_layers.items()) +
        '}))\n')


#: Candidate name -> model -> its ``options`` (``--cfg-options``) and
#: ``config`` (lines over the model config).
CANDIDATES = dict(
    scratch={
        'lr0.05_8ep': dict(
            topgap=scratch_schedule(8, 0.05), twin=scratch_schedule(8, 0.05)),
        'lr0.2_8ep': dict(
            topgap=scratch_schedule(8, 0.2), twin=scratch_schedule(8, 0.2)),
        'lr0.2_12ep': dict(
            topgap=scratch_schedule(12, 0.2), twin=scratch_schedule(12, 0.2)),
        # The chosen recipe stretched: does a longer schedule still gain?
        'lr0.2_18ep': dict(
            topgap=scratch_schedule(18, 0.2), twin=scratch_schedule(18, 0.2)),
    },
    finetune={
        'new0.1x_3ep': dict(
            topgap=finetune_schedule(3, {'head.conv_cam': 0.1}),
            twin=finetune_schedule(3, {})),
        'new1x_3ep': dict(
            topgap=finetune_schedule(3, {}), twin=finetune_schedule(3, {})),
        'new1x_8ep': dict(
            topgap=finetune_schedule(8, {}), twin=finetune_schedule(8, {})),
        'new10x_3ep': dict(
            topgap=finetune_schedule(3, {'neck.': 10, 'head.conv_cam': 10}),
            twin=finetune_schedule(3, {'head.fc': 10})),
    })


def train(work_dir: str, config: str, options: list,
          extra: str = '') -> None:
    """``tools/train.py`` on ``config`` (with ``extra`` config lines over
    it) and ``options``, unless done before."""
    done = osp.join(work_dir, 'train_done')
    if osp.isfile(done):
        return
    os.makedirs(work_dir, exist_ok=True)
    if extra:
        path = osp.join(work_dir, 'sweep_config.py')
        with open(path, 'w') as f:
            f.write(f"_base_ = ['{osp.join(ROOT, config)}']\n{extra}")
        config = path
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    with open(osp.join(work_dir, 'sweep.log'), 'w') as log:
        subprocess.run([
            sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
            '--cfg-options', *options
        ], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                       check=True)
    open(done, 'w').close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('protocol', choices=sorted(CANDIDATES))
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--only', nargs='+', help='candidates to run')
    parser.add_argument('--jobs', type=int, default=2)
    parser.add_argument('--work-dir', default='work_dirs/recipe_sweep')
    args = parser.parse_args()
    configs = SCRATCH if args.protocol == 'scratch' else FINETUNE
    candidates = {
        name: c
        for name, c in CANDIDATES[args.protocol].items()
        if not args.only or name in args.only
    }
    runs = [(name, model, seed) for name in candidates
            for seed in args.seeds for model in ('topgap', 'twin')]

    def one(run):
        name, model, seed = run
        work_dir = osp.join(args.work_dir, args.protocol, name, model,
                            f'seed{seed}')
        recipe = candidates[name][model]
        train(work_dir, configs[model],
              LOCALISATION + [f'randomness.seed={seed}', *recipe['options']],
              recipe.get('config', ''))
        return work_dir

    with ThreadPoolExecutor(args.jobs) as pool:
        work_dirs = list(pool.map(one, runs))
    table = []
    for (name, model, seed), work_dir in zip(runs, work_dirs):
        curve = list(read_epoch_curves(work_dir)['accuracy/top1'].values())
        verdict = convergence_verdict(curve, 4, DEFAULT_NUM_SAMPLES['val'])
        table.append([
            name, model, seed, ' / '.join(f'{v:.1f}' for v in curve),
            verdict['verdict']
        ])
    print('\n'.join(
        markdown_table(
            ['candidate', 'model', 'seed', 'val top-1 per epoch', 'verdict'],
            table)))


if __name__ == '__main__':
    main()
