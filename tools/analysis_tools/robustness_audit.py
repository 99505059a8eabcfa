"""Audit a classifier's L-inf robustness for signs of gradient masking.

Runs on the first ``--num-samples`` images of the config's test set:
FGSM; PGD with cross-entropy and with a margin loss (more steps, random
restarts); Square (black-box); PGD crafted on a standard twin (transfer,
with ``--twin-config/--twin-checkpoint``); for Top-GAP heads, PGD whose
gradients pass through a smooth surrogate of top-k pooling (BPDA); with
``--autoattack`` the original AutoAttack (standard version, from the
``pyautoattack`` package); and a PGD epsilon sweep until accuracy reaches
0. Reports per-attack accuracy, the per-sample worst case over all attacks
and flags, as a table on stdout, ``audit.md`` and ``audit.json`` in
``--out-dir``. See :mod:`topgap_mm.evaluation.robustness.audit`.

Usage::

    PYTHONPATH=. python tools/analysis_tools/robustness_audit.py \
        configs/topgap/resnet18_fashionbg_k16.py work_dirs/topgap.pth \
        --twin-config configs/standard/resnet18_fashionbg.py \
        --twin-checkpoint work_dirs/standard.pth \
        --num-samples 200 --out-dir work_dirs/audit
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import DictAction

import topgap_mm  # noqa: F401  (registers modules, fixes checkpoint loading)
from topgap_mm.analysis import (build_test_dataset, collect_samples,
                                load_classifier)
from topgap_mm.evaluation.robustness.audit import (AuditConfig,
                                                   autoattack_available,
                                                   format_report, run_audit)


def parse_args(argv=None):
    defaults = AuditConfig()
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config of the audited model')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('--twin-config', help='config of a standard twin')
    parser.add_argument('--twin-checkpoint', help='checkpoint of the twin')
    parser.add_argument(
        '--num-samples', type=int, default=200,
        help='first N test samples (default 200); 0 takes all')
    parser.add_argument(
        '--eps', type=float, default=defaults.eps,
        help='L-inf radius on [0, 1] pixels (default 8/255)')
    parser.add_argument(
        '--eps-list', type=float, nargs='+',
        default=list(defaults.eps_list),
        help='radii of the sweep (default 1..128 / 255)')
    parser.add_argument('--pgd-steps', type=int, default=defaults.pgd_steps)
    parser.add_argument('--restarts', type=int, default=defaults.restarts)
    parser.add_argument(
        '--square-queries', type=int, default=defaults.square_queries)
    parser.add_argument(
        '--sweep-steps', type=int, default=defaults.sweep_steps)
    parser.add_argument(
        '--autoattack', action='store_true',
        help='also run the original AutoAttack (pyautoattack); slow on CPU')
    parser.add_argument('--batch-size', type=int, default=defaults.batch_size)
    parser.add_argument('--seed', type=int, default=defaults.seed)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out-dir', default='work_dirs/robustness_audit')
    parser.add_argument(
        '--no-progress', action='store_true', help='hide the progress bar')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='overrides of the audited config (and the twin\'s)')
    args = parser.parse_args(argv)
    if (args.twin_config is None) != (args.twin_checkpoint is None):
        parser.error('give both --twin-config and --twin-checkpoint, or '
                     'neither')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.autoattack and not autoattack_available():
        sys.exit('--autoattack needs `pip install pyautoattack` (the original '
                 'fra31/auto-attack code); torchattacks\' reduced AutoAttack '
                 'is not used in its place.')
    cfg = AuditConfig(
        eps=args.eps,
        pgd_steps=args.pgd_steps,
        restarts=args.restarts,
        square_queries=args.square_queries,
        eps_list=args.eps_list,
        sweep_steps=args.sweep_steps,
        autoattack=args.autoattack,
        batch_size=args.batch_size,
        seed=args.seed)
    model, model_cfg = load_classifier(args.config, args.checkpoint,
                                       args.cfg_options, args.device)
    twin = None
    if args.twin_config:
        twin, _ = load_classifier(args.twin_config, args.twin_checkpoint,
                                  args.cfg_options, args.device)
    dataset = build_test_dataset(model_cfg)
    images, labels = collect_samples(dataset, model, args.num_samples or None,
                                     args.batch_size)
    report = run_audit(
        model, images, labels, twin=twin, cfg=cfg,
        progress=not args.no_progress)
    report['config'] = args.config
    report['checkpoint'] = args.checkpoint
    report['twin_config'] = args.twin_config
    report['twin_checkpoint'] = args.twin_checkpoint
    text = format_report(report,
                         f'Robustness audit: {osp.basename(args.config)}')
    os.makedirs(args.out_dir, exist_ok=True)
    with open(osp.join(args.out_dir, 'audit.md'), 'w') as f:
        f.write(text)
    with open(osp.join(args.out_dir, 'audit.json'), 'w') as f:
        json.dump(report, f, indent=1)
    print(text)
    print(f'Written: {osp.join(args.out_dir, "audit.md")} and audit.json')
    return report


if __name__ == '__main__':
    main()
