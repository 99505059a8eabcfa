"""Run a study: Top-GAP against its twin over seeds, with choices made on
held-out data, confidence intervals and trivial baselines.

Usage::

    python tools/study.py configs/studies/embedded.py
    python tools/study.py configs/studies/embedded.py --dry-run
    python tools/study.py STUDY --work-dir work_dirs/my_study \
        --cfg-options study.seeds="[0,1,2,3,4]"

The study's work directory gets one directory per run (each with the config
files it was trained and evaluated with), ``results.json``, ``report.json``
and ``report.md``. Running the same command again skips finished runs and
resumes interrupted ones.
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Before MMEngine: registers the metrics the spec checks and silences
# known-harmless warnings of the imports below (see topgap_mm.compat).
import topgap_mm  # noqa: E402,F401,I001
from mmengine.config import Config, DictAction  # noqa: E402

from topgap_mm.study import (StudyRunner, StudySpec, plan_lines,  # noqa: E402
                             write_report)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='study config file')
    parser.add_argument(
        '--work-dir',
        help='where runs and the report go; defaults to '
        'work_dirs/studies/<config name>')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='print every run with its state and cost, train nothing')
    parser.add_argument(
        '--sec-per-iter',
        type=float,
        help='seconds per training iteration on the target machine, to turn '
        'the dry run\'s iteration count into hours')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override keys of the study config, e.g. study.seeds="[0,1]"')
    return parser.parse_args()


def main():
    args = parse_args()
    if not osp.isfile(args.config):
        sys.exit(f'study.py: no study config {args.config!r}.')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if 'study' not in cfg:
        sys.exit(f'study.py: {args.config} has no `study` dict; see '
                 'configs/studies/embedded.py for the format.')
    spec = StudySpec(cfg.to_dict()['study'], ROOT)
    work_dir = args.work_dir or osp.join(
        'work_dirs', 'studies',
        osp.splitext(osp.basename(args.config))[0])
    runner = StudyRunner(spec, work_dir)
    runs = spec.runs()
    if args.dry_run:
        print('\n'.join(plan_lines(runner, runs, args.sec_per_iter)))
        return
    results = runner.execute(runs)
    write_report(spec, runs, results, runner.work_dir)
    with open(osp.join(runner.work_dir, 'report.md')) as f:
        print(f.read())
    print(f'[study] report: {osp.join(runner.work_dir, "report.md")}')


if __name__ == '__main__':
    main()
