"""Added wall time of the paper's metrics over a plain ``tools/test.py`` run.

On the embedded benchmark (``test_id``, 600 images at 64x64), the model of
``--config`` is tested by ``tools/test.py`` with these evaluators, each
run in a fresh process, round-robin (plain, cam, erf, pgd, plain, ...):

- ``plain``: ``Accuracy`` only;
- ``cam``: ``Accuracy`` + ``CAMIoU`` + ``CAMSparsity`` with the caps of
  ``configs/_base_/evaluation/interpretability.py`` (1000 each, i.e. every
  test image);
- ``erf``: ``Accuracy`` + ``ERFDistance`` on ``--erf-samples`` images;
- ``pgd``: ``Accuracy`` + ``RobustAccuracy`` with PGD-20 (8/255) only, on
  ``--pgd-samples`` images;
- ``box``, ``attribution``, ``deletion``, ``mprt``: ``Accuracy`` + one
  metric of ``configs/_base_/evaluation/localisation.py`` with its cap
  (``CAMBoxAccuracy``, ``AttributionLocalisation``, ``DeletionInsertion``,
  ``ParameterRandomisation``).

If a run fails (``RobustAccuracy`` inside the no-grad test loop of
MMEngine, for one), the error is printed and the run is dropped. PGD-20
throughput is also measured directly: the package's ``build_attack`` on
``PixelSpaceModel`` under ``torch.enable_grad()``, on test images.

Two times per run: the process's wall time (what a user waits for,
including imports and dataset generation) and the time of
``Runner.test()`` alone (the test loop with its evaluation), taken by
wrapping that method around an unchanged ``tools/test.py``. ERF and PGD
throughputs are the added loop time divided by the images they processed.

The checkpoint is ``--checkpoint`` or, if absent, a randomly initialised
model saved as ``{'state_dict': ..., 'meta': {}}`` (timings do not depend
on the weights, except that attacks may stop early on some images).

Usage::

    .venv/bin/python benchmarks/bench_metrics.py --repeats 3 \
        --checkpoint /tmp/seeds/s1_resnet18_fashionbg_k16/epoch_20.pth
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

import torch

from common import ROOT, machine_record, median, print_record

EVALUATORS: Dict[str, str] = {
    'plain': "[dict(type='Accuracy', topk=(1, ))]",
    'cam': ("[dict(type='Accuracy', topk=(1, )), "
            "*_base_.interpretability_metrics[:2]]"),
    'erf': ("[dict(type='Accuracy', topk=(1, )), "
            "dict(type='ERFDistance', normalize='zscore', "
            'max_samples={erf})]'),
    'pgd': ("[dict(type='Accuracy', topk=(1, )), "
            "dict(type='RobustAccuracy', max_samples={pgd}, attacks=["
            "dict(type='PGD', eps=8 / 255, alpha=2 / 255, steps=20)])]"),
    # The metrics of configs/_base_/evaluation/localisation.py, one by one
    # with their caps: boxes and mask scores on every test image,
    # deletion / insertion on 100, the randomisation check on 50.
    'box': ("[dict(type='Accuracy', topk=(1, )), "
            '_base_.localisation_metrics[0]]'),
    'attribution': ("[dict(type='Accuracy', topk=(1, )), "
                    '_base_.localisation_metrics[1]]'),
    'deletion': ("[dict(type='Accuracy', topk=(1, )), "
                 '_base_.localisation_metrics[2]]'),
    'mprt': ("[dict(type='Accuracy', topk=(1, )), "
             '_base_.localisation_metrics[3]]'),
}

CHILD = """
import runpy, sys, time
from mmengine.runner import Runner
test = Runner.test
def timed(self):
    start = time.perf_counter()
    out = test(self)
    print('BENCH_TEST_SECONDS', time.perf_counter() - start, flush=True)
    return out
Runner.test = timed
sys.argv = ['tools/test.py'] + sys.argv[1:]
runpy.run_path('tools/test.py', run_name='__main__')
"""


def write_configs(base: str, out_dir: str, erf: int,
                  pgd: int) -> Dict[str, str]:
    paths = {}
    for name, evaluator in EVALUATORS.items():
        path = osp.join(out_dir, f'{name}.py')
        with open(path, 'w') as f:
            bases = [osp.join(ROOT, base)] + [
                osp.join(ROOT, 'configs/_base_/evaluation', name)
                for name in ('interpretability.py', 'localisation.py')
            ]
            f.write(f'_base_ = {bases!r}\n'
                    f'test_evaluator = '
                    f'{evaluator.format(erf=erf, pgd=pgd)}\n')
        paths[name] = path
    return paths


def build_test_dataset(config: str):
    """The config's test dataset, to count the images a metric sees."""
    from mmengine.config import Config

    from mmpretrain.registry import DATASETS
    cfg = Config.fromfile(osp.join(ROOT, config))
    return DATASETS.build(cfg.test_dataloader.dataset)


def random_checkpoint(config: str, path: str) -> str:
    from common import build
    model = build(config)
    model.init_weights()
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def run_test(config: str, checkpoint: str, work_dir: str) -> dict:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, '-c', CHILD, config, checkpoint, '--work-dir',
         work_dir],
        capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(proc.stdout[-3000:] + proc.stderr[-3000:])
    loop = [
        float(line.split()[1]) for line in proc.stdout.splitlines()
        if line.startswith('BENCH_TEST_SECONDS')
    ][0]
    metrics = [line for line in (proc.stdout + proc.stderr).splitlines()
               if 'Epoch(test)' in line and '/' in line]
    return dict(wall=wall, loop=loop, metrics=metrics[-1][-300:])


def pgd_direct(config: str, checkpoint: str, num: int,
               repeats: int) -> float:
    """Images/s of PGD-20 (8/255) run directly on ``num`` test images."""
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint

    from common import build
    from topgap_mm.datasets import FashionBackgroundsDataset
    from topgap_mm.evaluation.robustness.attacks import build_attack
    from topgap_mm.models.pixel_space import PixelSpaceModel
    model = build(config)
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.eval()
    cfg = Config.fromfile(osp.join(ROOT, config))
    data = FashionBackgroundsDataset(
        split='test_id', img_size=cfg.img_size, num_samples=num,
        pipeline=[])
    # The dataset renders BGR uint8; the model's preprocessor flips to RGB.
    images = torch.stack([
        torch.from_numpy(data[i]['img']).permute(2, 0, 1).float() / 255
        for i in range(num)
    ])
    labels = torch.tensor([int(data[i]['gt_label']) for i in range(num)])
    attack = build_attack(
        dict(type='PGD', eps=8 / 255, alpha=2 / 255, steps=20),
        PixelSpaceModel(model))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.enable_grad():
            attack(images, labels)
        times.append(time.perf_counter() - start)
    return num / median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--config', default='configs/topgap/resnet18_fashionbg_k16.py')
    parser.add_argument('--checkpoint', default=None)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--erf-samples', type=int, default=50)
    parser.add_argument('--pgd-samples', type=int, default=200)
    parser.add_argument('--runs', nargs='+', default=list(EVALUATORS))
    args = parser.parse_args()
    print_record(machine_record())
    tmp = tempfile.mkdtemp(prefix='bench_metrics_')
    checkpoint = args.checkpoint
    if not checkpoint or not osp.exists(checkpoint):
        checkpoint = random_checkpoint(args.config,
                                       osp.join(tmp, 'random.pth'))
    print(f'# checkpoint: {checkpoint}', flush=True)
    configs = write_configs(args.config, tmp, args.erf_samples,
                            args.pgd_samples)
    results: Dict[str, List[dict]] = {name: [] for name in args.runs}
    failed: List[str] = []
    for rep in range(args.repeats):
        for name in [r for r in args.runs if r not in failed]:
            try:
                res = run_test(configs[name], checkpoint,
                               osp.join(tmp, name))
            except RuntimeError as e:
                print(f'  {name} FAILED, dropped:\n{str(e)[-800:]}')
                failed.append(name)
                continue
            results[name].append(res)
            print(f'  round {rep + 1}/{args.repeats} {name}: '
                  f'wall {res["wall"]:.1f}s, test loop {res["loop"]:.1f}s',
                  flush=True)
    results = {k: v for k, v in results.items() if v}
    plain_wall = median([r['wall'] for r in results['plain']])
    plain_loop = median([r['loop'] for r in results['plain']])
    print(f'\n| evaluators | median wall (s) | added to plain wall | median '
          f'test loop (s) | added to plain loop |')
    print('|---|---|---|---|---|')
    for name, runs in results.items():
        wall = median([r['wall'] for r in runs])
        loop = median([r['loop'] for r in runs])
        print(f'| {name} | {wall:.1f} | {(wall / plain_wall - 1) * 100:+.0f}%'
              f' | {loop:.2f} | {(loop / plain_loop - 1) * 100:+.0f}% |')
    test_size = len(build_test_dataset(args.config))
    per_image = dict(
        erf=args.erf_samples,
        pgd=args.pgd_samples,
        box=min(1000, test_size),
        attribution=min(1000, test_size),
        deletion=min(100, test_size),
        mprt=min(50, test_size))
    for name, count in per_image.items():
        if name in results:
            added = median([r['loop'] for r in results[name]]) - plain_loop
            print(f'{name}: {count / added:.2f} images/s '
                  f'({added / count * 1e3:.0f} ms per image)')
    print(f'PGD-20 direct: {pgd_direct(args.config, checkpoint, 32, 3):.2f} '
          f'images/s (batch 32)')
    for name, runs in results.items():
        print(f'# {name} metrics: {runs[-1]["metrics"]}')
    print_record({
        'loadavg_end': ' '.join(f'{x:.2f}' for x in os.getloadavg())
    })
    print(json.dumps({'tmp': tmp}))


if __name__ == '__main__':
    main()
