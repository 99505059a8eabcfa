# Adapted from MMPretrain's tools/test.py (Apache-2.0, OpenMMLab).
"""Test (and evaluate) a model with the Top-GAP components registered."""
import argparse
import os
import os.path as osp
from copy import deepcopy

# Before MMEngine: registers the Top-GAP modules, lets torch >= 2.6 load
# MMEngine checkpoints and silences known-harmless warnings of the imports
# below (see topgap_mm.compat).
import topgap_mm  # noqa: F401,I001
import mmengine
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.evaluator import DumpResults
from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from topgap_mm.utils import (check_checkpoint,  # noqa: E402
                             check_checkpoint_file, finish_distributed,
                             prepare_distributed)
from topgap_mm.cam import CAM_METHODS  # noqa: E402
from topgap_mm.models import use_channels_last  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(
        description='MMPreTrain test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
    parser.add_argument(
        '--out',
        help='the file to output results (.pkl for predictions, .json/.pkl '
        'for metrics). An existing file is never overwritten unless '
        '--overwrite is given.')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='allow --out to replace an existing file.')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        help='To output whether metrics or predictions. '
        'Defaults to output predictions.')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--allow-partial-checkpoint',
        action='store_true',
        help='load only the checkpoint keys that fit the model; by default a '
        'checkpoint of another model (missing, unexpected or mis-shaped '
        'keys) is an error')
    parser.add_argument(
        '--on-val',
        action='store_true',
        help="evaluate on the config's val_dataloader (its held-out split) "
        'in place of test_dataloader: for choices that must not see the '
        'test split, such as the CAM-IoU threshold (save_curve)')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision test')
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='feed the model channels-last (NHWC) images, which runs the '
        'whole network in that memory format: faster on CPU and for '
        'mixed precision on GPU, same results up to float rounding')
    parser.add_argument(
        '--show-dir',
        help='directory where a CAM overlay of every `--interval`-th test '
        'image (predicted class, gt/pred in the title) is saved as PNG.')
    parser.add_argument(
        '--cam-method',
        default='auto',
        choices=['auto', *CAM_METHODS],
        help="CAM method for --show-dir; 'auto' is the native map of a "
        'Top-GAP model and GradCAM otherwise.')
    parser.add_argument(
        '--show',
        action='store_true',
        help='whether to display the prediction results in a window.')
    parser.add_argument(
        '--interval',
        type=int,
        default=1,
        help='visualize per interval samples.')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=2,
        help='display time of every window. (second)')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='whether to disable the pin_memory option in dataloaders.')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='Whether to enable the Test-Time-Aug (TTA). If the config file '
        'has `tta_pipeline` and `tta_model` fields, use them to determine the '
        'TTA transforms and how to merge the TTA results. Otherwise, use flip '
        'TTA by averaging classification score.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # When using PyTorch version >= 2.0.0, the `torch.distributed.launch`
    # will pass the `--local-rank` parameter to `tools/train.py` instead
    # of `--local_rank`.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Merge CLI arguments to config."""
    cfg.launcher = args.launcher

    # work_dir is determined in this priority: CLI > segment in file > filename
    if args.work_dir is not None:
        # update configs according to CLI args if args.work_dir is not None
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        # use config filename as default work_dir if cfg.work_dir is None
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    cfg.load_from = args.checkpoint

    if args.on_val:
        if cfg.get('val_dataloader') is None:
            raise ValueError(
                f'--on-val: {args.config} has no `val_dataloader`; give it a '
                "held-out split, e.g. the dataset with split='val' (CUB, "
                'Oxford-IIIT Pet and COCO single-object hold out '
                '`val_fraction` of their training split).')
        cfg.test_dataloader = deepcopy(cfg.val_dataloader)

    # enable automatic-mixed-precision test
    if args.amp:
        cfg.test_cfg.fp16 = True

    if args.channels_last:
        use_channels_last(cfg)

    # -------------------- visualization --------------------
    # --show keeps MMPretrain's on-screen prediction display; --show-dir
    # writes CAM overlays instead of MMPretrain's plain prediction images.
    if args.show:
        assert 'visualization' in cfg.default_hooks, \
            'VisualizationHook is not set in the `default_hooks` field of ' \
            'config. Please set `visualization=dict(type="VisualizationHook")`'

        cfg.default_hooks.visualization.enable = True
        cfg.default_hooks.visualization.show = True
        cfg.default_hooks.visualization.wait_time = args.wait_time
        cfg.default_hooks.visualization.interval = args.interval
    if args.show_dir is not None:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(
                type='CAMVisualizationHook',
                out_dir=args.show_dir,
                interval=args.interval,
                method=args.cam_method)
        ]

    # -------------------- TTA related args --------------------
    if args.tta:
        if 'tta_model' not in cfg:
            cfg.tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
        if 'tta_pipeline' not in cfg:
            test_pipeline = cfg.test_dataloader.dataset.pipeline
            cfg.tta_pipeline = deepcopy(test_pipeline)
            flip_tta = dict(
                type='TestTimeAug',
                transforms=[
                    [
                        dict(type='RandomFlip', prob=1.),
                        dict(type='RandomFlip', prob=0.)
                    ],
                    [test_pipeline[-1]],
                ])
            cfg.tta_pipeline[-1] = flip_tta
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline

    # ----------------- Default dataloader args -----------------
    default_dataloader_cfg = ConfigDict(
        pin_memory=True,
        collate_fn=dict(type='default_collate'),
    )

    def set_default_dataloader_cfg(cfg, field):
        if cfg.get(field, None) is None:
            return
        dataloader_cfg = deepcopy(default_dataloader_cfg)
        dataloader_cfg.update(cfg[field])
        cfg[field] = dataloader_cfg
        if args.no_pin_memory:
            cfg[field]['pin_memory'] = False

    set_default_dataloader_cfg(cfg, 'test_dataloader')

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    return cfg


def main():
    args = parse_args()

    if args.out is None and args.out_item is not None:
        raise ValueError('Please use `--out` argument to specify the '
                         'path of the output file before using `--out-item`.')
    # Also with --allow-partial-checkpoint, which skips the key check:
    # MMEngine's loader alone names neither the file nor the fault.
    check_checkpoint_file(args.checkpoint)
    if args.out and osp.exists(args.out) and not args.overwrite:
        raise FileExistsError(
            f'--out {args.out!r} exists; choose another path or add '
            '--overwrite to replace it.')

    # load config
    cfg = Config.fromfile(args.config)

    # merge cli arguments to config
    cfg = merge_args(cfg, args)
    prepare_distributed(cfg)

    # build the runner from config
    if 'runner_type' not in cfg:
        # build the default runner
        runner = Runner.from_cfg(cfg)
    else:
        # build customized runner from the registry
        # if 'runner_type' is set in the cfg
        runner = RUNNERS.build(cfg)

    # MMEngine loads `load_from` non-strictly: a checkpoint of another model
    # would leave parts of this one untrained and still give metrics.
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    check_checkpoint(model, args.checkpoint, args.allow_partial_checkpoint)

    if args.out and args.out_item in ['pred', None]:
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))

    # start testing
    metrics = runner.test()

    if args.out and args.out_item == 'metrics' and runner.rank == 0:
        mmengine.dump(metrics, args.out)

    if runner.rank == 0:
        print(format_metrics(metrics))
    finish_distributed()


def format_metrics(metrics: dict) -> str:
    """One metric per line, aligned, for reading at the end of a run."""
    width = max((len(k) for k in metrics), default=0)
    lines = ['Test metrics:']
    lines += [f'  {k:<{width}}  {v:.4f}' if isinstance(v, float) else
              f'  {k:<{width}}  {v}' for k, v in metrics.items()]
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
