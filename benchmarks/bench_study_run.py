"""Where one study run's time goes: training against the evaluation of each
split, metric by metric, in one run of this script.

The run is trained and evaluated as ``tools/study.py`` does it (the study's
``StudyRunner`` writes the configs and starts ``tools/train.py`` and one
``tools/test.py`` per split), except that each ``tools/test.py`` runs
inside a small wrapper that times, within the process, the imports and
the Runner's set-up, the model's test forward passes, and every metric's
``process`` and ``evaluate``. Nothing else changes: the same configs, the
same checkpoint, the same numbers.

Printed: the training's wall time, then per split the process's wall time
split into start-up (imports, config, Runner and dataset), test forward
passes, each metric and the rest (data loading, hooks); last, the ratio of
the whole evaluation to the training.

Usage::

    .venv/bin/python benchmarks/bench_study_run.py \
        configs/studies/embedded.py localisation/resnet18_scratch/twin/seed0 \
        --work-dir work_dirs/bench_study_run
    # the evaluation of a run trained before: a work dir holding a copy of
    # its run directory without the metrics_*.json files
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from collections import defaultdict

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)


def child(timing_file: str, test_args: list) -> None:
    """``tools/test.py`` with timers around the model and the metrics."""
    import runpy
    start = time.perf_counter()
    import topgap_mm  # noqa: F401  (imports counted as start-up)
    from mmengine.evaluator import Evaluator
    from mmengine.runner import Runner

    times = defaultdict(float)
    marks = {}

    def timed(name, fn):

        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                times[name] += time.perf_counter() - t

        return wrapper

    original_init = Evaluator.__init__

    def init(self, metrics):
        original_init(self, metrics)
        for i, metric in enumerate(self.metrics):
            name = f'{i:02d} {type(metric).__name__}'
            if getattr(metric, 'prefix', None) and metric.prefix.startswith(
                    'baseline/'):
                name += f' [{metric.prefix.split("/")[1]}]'
            metric.process = timed(name, metric.process)
            metric.evaluate = timed(name, metric.evaluate)

    Evaluator.__init__ = init
    original_test = Runner.test

    def test(self):
        marks['test_start'] = time.perf_counter()
        model = self.model.module if hasattr(self.model,
                                             'module') else self.model
        model.test_step = timed('forward', model.test_step)
        try:
            return original_test(self)
        finally:
            marks['test_end'] = time.perf_counter()

    Runner.test = test
    sys.argv = [osp.join(ROOT, 'tools/test.py')] + test_args
    runpy.run_path(sys.argv[0], run_name='__main__')
    end = time.perf_counter()
    with open(timing_file, 'w') as f:
        json.dump(
            dict(
                startup=marks['test_start'] - start,
                after=end - marks['test_end'],
                loop=marks['test_end'] - marks['test_start'],
                parts=dict(times)), f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('study', help='study config')
    parser.add_argument(
        'run', help='run name, <regime>/<pair>/<model>/seed<N>')
    parser.add_argument('--work-dir', default='work_dirs/bench_study_run')
    parser.add_argument(
        '--threads', type=int,
        help='OMP_NUM_THREADS of the run, as `tools/study.py --threads`')
    args = parser.parse_args()

    from common import machine_record, print_record
    from topgap_mm.study import StudyRunner, StudySpec

    spec = StudySpec.fromfile(args.study, ROOT)
    runs = {r.name: r for r in spec.runs()}
    if args.run not in runs:
        sys.exit(f'No run {args.run!r} in {args.study}; one of '
                 f'{sorted(runs)}.')
    run = runs[args.run]
    # `threads` only when given: the script also times checkouts whose
    # StudyRunner predates the argument (the "before" of RESULTS.md).
    runner = StudyRunner(spec, args.work_dir, log=lambda _: None,
                         **({} if args.threads is None else
                            dict(threads=args.threads)))
    run_dir = runner.run_dir(run)
    done = [n for n in os.listdir(run_dir) if n.startswith('metrics_')
            ] if osp.isdir(run_dir) else []
    if done:
        sys.exit(f'{run_dir} is evaluated already ({done}); time it in '
                 'another --work-dir (a copy of the run directory without '
                 'its metrics_*.json reuses the training).')
    print_record(machine_record())
    split_times = {}
    tool = runner._tool

    def bench_tool(*tool_args, log_file):
        if tool_args[0] != 'tools/test.py':
            return tool(*tool_args, log_file=log_file)
        split = osp.basename(tool_args[1])[len('eval_'):-len('.py')]
        timing = osp.join(run_dir, f'bench_timing_{split}.json')
        start = time.perf_counter()
        tool(osp.abspath(__file__), '--child', timing, *tool_args[1:],
             log_file=log_file)
        split_times[split] = dict(
            json.load(open(timing)), wall=time.perf_counter() - start)

    runner._tool = bench_tool
    trained = runner.is_trained(run_dir)
    start = time.perf_counter()
    checkpoint = runner.train(run)
    if trained:
        train = json.load(open(osp.join(run_dir, 'timing.json')))['train']
        print(f'# training: from {run_dir}/timing.json (trained before)')
    else:
        train = time.perf_counter() - start
    runner.evaluate(run, checkpoint)

    print(f'\n| stage | seconds |\n|---|---|\n| training | {train:.1f} |')
    total = 0.0
    for split, t in split_times.items():
        total += t['wall']
        print(f'| **{split}** (process wall) | **{t["wall"]:.1f}** |')
        print(f'| {split}: start-up, config, Runner, dataset | '
              f'{t["startup"] + t["after"]:.1f} |')
        parts = dict(t['parts'])
        print(f'| {split}: test forward passes | '
              f'{parts.pop("forward", 0.0):.1f} |')
        for name, sec in sorted(parts.items()):
            print(f'| {split}: {name[3:]} | {sec:.1f} |')
        rest = t['loop'] - sum(t['parts'].values())
        print(f'| {split}: data loading, hooks | {rest:.1f} |')
    print(f'| evaluation, all splits | {total:.1f} |')
    print(f'\nevaluation / training = {total / train:.2f}')


if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[1] == '--child':
        child(sys.argv[2], sys.argv[3:])
    else:
        main()
