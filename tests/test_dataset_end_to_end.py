"""CUB-200-2011 and Oxford-IIIT Pet, end to end through the real tools.

A user with the datasets unpacked in their official layout trains with
``tools/train.py`` on the shipped config and evaluates the checkpoint with
``tools/test.py`` and the paper's interpretability metrics, which read the
object masks (CUB ``segmentations/``, Pet trimaps). The fixtures are the
tiny official-layout ones of ``test_public_datasets`` (3 classes).
"""
import json
import os.path as osp

import pytest

from test_public_datasets import write_cub, write_pets
from tool_runner import run_tool

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def num_classes(data_root):
    """The fixtures' CUB lists its 3 classes in classes.txt; MMPretrain's
    OxfordIIITPet always declares the 37 breeds, of which the fixture uses
    3, and the head must match the dataset's declared classes."""
    return 37 if 'Pets' in data_root else 3


def data_options(data_root, batch_size=3):
    """``--cfg-options`` pointing every split at ``data_root``, small."""
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{loader}.dataset.data_root={data_root}',
            f'{loader}.batch_size={batch_size}',
            f'{loader}.num_workers=0',
            f'{loader}.persistent_workers=False',
        ]
    return opts + [
        'model.backbone.init_cfg=None',  # no download of the weights
        f'model.head.num_classes={num_classes(data_root)}',
        f'data_preprocessor.num_classes={num_classes(data_root)}',
        'model.head.k=16',
        'default_hooks.logger.interval=1',
    ]


def eval_config(tmp_path, config):
    """``config`` + the interpretability metrics, as the evaluation configs
    under ``configs/evaluation`` do it."""
    path = tmp_path / 'eval_config.py'
    path.write_text(
        f'_base_ = [{osp.join(ROOT, config)!r},\n'
        f"          {osp.join(ROOT, 'configs/_base_/evaluation/interpretability.py')!r}]\n"  # noqa: E501
        'test_evaluator = [dict(type=\'Accuracy\', topk=(1, )),\n'
        '                  *_base_.interpretability_metrics]\n')
    return str(path)


def train(tmp_path, config, data_root):
    work_dir = str(tmp_path / 'work')
    run_tool('tools/train.py', config, '--work-dir', work_dir,
             '--cfg-options', 'train_cfg.max_epochs=1', 'param_scheduler=[]',
             *data_options(data_root))
    ckpt = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    return ckpt


def evaluate(tmp_path, config, ckpt, data_root, name, check=True):
    out = str(tmp_path / f'{name}.json')
    proc = run_tool(
        'tools/test.py',
        eval_config(tmp_path, config),
        ckpt,
        '--work-dir',
        str(tmp_path / f'test_{name}'),
        '--out',
        out,
        '--out-item',
        'metrics',
        '--cfg-options',
        'test_evaluator.1.threshold=0.5',
        *data_options(data_root),
        check=check)
    return proc, out


def check_metrics(out):
    metrics = json.load(open(out))
    print('\n' + json.dumps(metrics, indent=1, sort_keys=True))
    assert 'accuracy/top1' in metrics
    assert 0 <= metrics['accuracy/top1'] <= 100
    for key in ('cam/pxap', 'cam/iou@best_val_thr'):
        assert 0 <= metrics[key] <= 100, (key, metrics[key])
    assert metrics['cam/best_val_thr'] == 0.5
    return metrics


def test_cub_train_and_interpretability_eval(tmp_path):
    config = 'configs/topgap/resnet18_cub_k256.py'
    root = write_cub(str(tmp_path / 'CUB_200_2011'), per_class=4)
    ckpt = train(tmp_path, config, root)
    _, out = evaluate(tmp_path, config, ckpt, root, 'cub')
    check_metrics(out)

    # The README's recipe: the CAM-IoU threshold from the held-out `val`
    # (carved from CUB's training split), then applied to the test split.
    curve = str(tmp_path / 'cam_iou_val.json')
    proc = run_tool('tools/test.py', eval_config(tmp_path, config), ckpt,
                    '--work-dir', str(tmp_path / 'val'), '--on-val',
                    '--cfg-options', f'test_evaluator.1.save_curve={curve}',
                    *data_options(root))
    assert "split 'val' is 3 of the 6 samples" in proc.stdout
    best = json.load(open(curve))['best_threshold']
    proc = run_tool('tools/test.py', eval_config(tmp_path, config), ckpt,
                    '--work-dir', str(tmp_path / 'test'), '--out',
                    str(tmp_path / 'held_out.json'), '--out-item',
                    'metrics', '--cfg-options',
                    f'test_evaluator.1.threshold_from={curve}',
                    *data_options(root))
    assert json.load(open(tmp_path / 'held_out.json'))[
        'cam/best_val_thr'] == pytest.approx(best)

    # Without `segmentations/` (segmentations.tgz not unpacked) the mask
    # metrics stop with a message that names the missing field.
    bare = write_cub(
        str(tmp_path / 'CUB_no_seg'), per_class=2, with_seg=False)
    proc, out = evaluate(tmp_path, config, ckpt, bare, 'bare', check=False)
    assert proc.returncode != 0
    print('\nwithout segmentations: ' + proc.stderr.strip().splitlines()[-1])
    assert 'needs object masks in the data samples (field `gt_object_mask`)' \
        in proc.stderr, proc.stderr[-3000:]
    assert not osp.exists(out)


def test_pets_train_and_interpretability_eval(tmp_path):
    config = 'configs/topgap/resnet18_pets_k256.py'
    root = write_pets(str(tmp_path / 'Oxford-IIIT_Pets'), per_class=4)
    ckpt = train(tmp_path, config, root)
    _, out = evaluate(tmp_path, config, ckpt, root, 'pets')
    check_metrics(out)
