"""Run a study: Top-GAP against its twin over seeds, with choices made on
held-out data, confidence intervals and trivial baselines.

Usage::

    python tools/study.py configs/studies/embedded.py
    python tools/study.py configs/studies/embedded.py --dry-run
    # two runs at a time, one CPU thread each
    python tools/study.py configs/studies/embedded.py --jobs 2
    python tools/study.py STUDY --work-dir work_dirs/my_study \
        --cfg-options study.seeds="[0,1,2,3,4]"
    # every run as its own Slurm job (submitit), then the report
    python tools/study.py configs/studies/cub.py --launcher slurm \
        --partition gpu --gpus-per-run 1 --time-limit 240
    # the report and its HTML page again from the finished runs, no training
    python tools/study.py configs/studies/embedded.py --report-only

The study's work directory gets one directory per run (each with the config
files it was trained and evaluated with), ``results.json``, ``report.json``,
``report.md`` and ``report.html`` (with its images in ``html/``). Running
the same command again skips finished runs and resumes interrupted ones.
"""
import argparse
import os.path as osp
import shlex
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Before MMEngine: registers the metrics the spec checks and silences
# known-harmless warnings of the imports below (see topgap_mm.compat).
import topgap_mm  # noqa: E402,F401,I001
from mmengine.config import DictAction  # noqa: E402

from topgap_mm.study import (StudyRunner, StudySpec, plan_lines,  # noqa: E402
                             write_report)
from topgap_mm.study.cluster import (CLUSTER_LAUNCHERS,  # noqa: E402
                                     build_executor, submit_runs,
                                     submitit_folder)
from topgap_mm.study.finished import finished_results  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0].replace('\n', ' '))
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
        '--report-only',
        action='store_true',
        help='train and evaluate nothing: rebuild report.json, report.md '
        'and report.html from the finished runs in the work dir')
    parser.add_argument(
        '--no-gallery',
        action='store_true',
        help='leave the CAM galleries out of report.html (they load every '
        'drawn run\'s checkpoint)')
    parser.add_argument(
        '--sec-per-iter',
        type=float,
        help='seconds per training iteration on the target machine, to turn '
        'the dry run\'s iteration count into hours')
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='runs carried out at the same time on this machine (default '
        '1); each gets the CPU count / jobs threads unless --threads says')
    parser.add_argument(
        '--threads',
        type=int,
        help='CPU threads (OMP_NUM_THREADS) of each run\'s processes')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override keys of the study config, e.g. study.seeds="[0,1]"')
    cluster = parser.add_argument_group(
        'cluster', 'run every unfinished run as its own job (submitit)')
    cluster.add_argument(
        '--launcher',
        choices=('none', ) + CLUSTER_LAUNCHERS,
        default='none',
        help='none: one run after the other here (default); slurm: sbatch '
        'jobs; local: submitit\'s local executor, to try a set-up')
    cluster.add_argument('--partition', help='Slurm partition')
    cluster.add_argument(
        '--gpus-per-run', type=int, default=1,
        help='GPUs per job (default 1); more train through torchrun')
    cluster.add_argument(
        '--cpus-per-run', type=int, default=8, help='CPUs per job (default 8)')
    cluster.add_argument(
        '--time-limit', type=int, default=240,
        help='minutes per job (default 240); a stopped job is requeued and '
        'resumes from its checkpoint')
    args = parser.parse_args()
    if args.launcher == 'slurm' and not args.partition:
        parser.error('--launcher slurm needs --partition')
    if args.report_only and (args.dry_run or args.launcher != 'none'):
        parser.error('--report-only trains nothing: it goes with neither '
                     '--dry-run nor --launcher')
    return args


def main():
    args = parse_args()
    try:
        spec = StudySpec.fromfile(args.config, ROOT, args.cfg_options)
    except (FileNotFoundError, KeyError) as error:
        sys.exit(f'study.py: {error.args[0]}')
    work_dir = args.work_dir or osp.join(
        'work_dirs', 'studies',
        osp.splitext(osp.basename(args.config))[0])
    if args.jobs < 1 or (args.threads is not None and args.threads < 1):
        sys.exit(f'study.py: --jobs ({args.jobs}) and --threads '
                 f'({args.threads}) must be >= 1.')
    runner = StudyRunner(spec, work_dir, jobs=args.jobs, threads=args.threads)
    runs = spec.runs()
    if args.dry_run:
        print('\n'.join(plan_lines(runner, runs, args.sec_per_iter)))
        return
    try:
        runner.check_runs(runs)
    except ValueError as error:
        sys.exit(f'study.py: {error}')
    # The report's commands repeat the options that changed the study.
    options = ''
    if args.cfg_options:
        options = ' --cfg-options ' + ' '.join(
            shlex.quote(f'{key}={value}')
            for key, value in args.cfg_options.items())
    if args.report_only:
        if not osp.isdir(runner.work_dir):
            sys.exit(f'study.py: --report-only: work dir {runner.work_dir} '
                     'does not exist; run the study first.')
        try:
            results = finished_results(runner, runs)
        except FileNotFoundError as error:
            sys.exit(f'study.py: --report-only: {error}')
        write_report(spec, runs, results, runner.work_dir, args.config,
                     not args.no_gallery, options)
        print(f'[study] report: {osp.join(runner.work_dir, "report.html")}')
        return
    if args.launcher != 'none':
        executor = build_executor(
            args.launcher, submitit_folder(runner.work_dir), args.partition,
            args.gpus_per_run, args.cpus_per_run, args.time_limit)
        submit_runs(runner, runs, executor, args.gpus_per_run)
    # After the jobs every run is finished: this reads their results.
    results = runner.execute(runs)
    write_report(spec, runs, results, runner.work_dir, args.config,
                 not args.no_gallery, options)
    with open(osp.join(runner.work_dir, 'report.md')) as f:
        print(f.read())
    print(f'[study] report: {osp.join(runner.work_dir, "report.md")}; '
          f'as a page: {osp.join(runner.work_dir, "report.html")}')


if __name__ == '__main__':
    main()
