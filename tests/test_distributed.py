"""Distributed training and testing through tools/dist_train.sh and
tools/dist_test.sh: 2 CPU processes (gloo) against 1."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from tool_runner import ROOT, run_tool
from mmengine.config import Config

from topgap_mm.utils.distributed import (choose_backend, finish_distributed,
                                         prepare_distributed)

CONFIG = osp.join(ROOT, 'configs/topgap/resnet18_fashionbg_k16.py')
# 48 training images in batches of 8 per process; 31 val and 41 test images
# do not split evenly over 2 processes.
SMALL = [
    'img_size=32',
    'train_dataloader.dataset.img_size=32',
    'train_dataloader.dataset.num_samples=48',
    'train_dataloader.batch_size=8',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.dataset.img_size=32',
    'val_dataloader.dataset.num_samples=31',
    'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False',
    'test_dataloader.dataset.img_size=32',
    'test_dataloader.dataset.num_samples=41',
    'test_dataloader.batch_size=8',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
    'model.head.k=8',
    'param_scheduler=[]',
]
#: Every metric of the evaluation configs; the caps are odd too. The attacks
#: are deterministic (PGD without its random start): random draws are made
#: per batch, so they depend on how the samples are split into batches.
METRICS_CONFIG = f'''
_base_ = [{CONFIG!r}]
test_dataloader = dict(dataset=dict(pipeline=[
    dict(type='PackMaskedInputs',
         meta_keys=('sample_idx', 'img_shape', 'background'))]))
test_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='CAMIoU', method='auto', max_samples=35),
    dict(type='CAMSparsity', method='auto', target='gt'),
    dict(type='ERFDistance', normalize='zscore', max_samples=5),
    dict(type='AttackDistance', eps=1 / 255, max_samples=33),
    dict(type='RobustAccuracy', max_samples=9, attacks=[
        dict(type='FGSM', eps=8 / 255),
        dict(type='PGD', eps=8 / 255, alpha=2 / 255, steps=3,
             random_start=False)]),
    dict(type='GroupAccuracy', group_key='background'),
    dict(type='CAMBoxAccuracy', method='auto', threshold=0.3,
         max_samples=37),
    dict(type='AttributionLocalisation', method='auto', tolerance=1),
    dict(type='DeletionInsertion', method='auto', steps=4, max_samples=7),
    dict(type='ParameterRandomisation', method='auto', max_samples=5,
         levels=['head', 'neck', 'backbone.layer4']),
]
'''


def dist_tool(script, *args, port):
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        PORT=str(port),
        CUDA_VISIBLE_DEVICES='',
        OMP_NUM_THREADS='1')
    proc = subprocess.run(['bash', osp.join(ROOT, 'tools', script), *args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('dist_work'))
    log = dist_tool('dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
                    '--cfg-options', 'train_cfg.max_epochs=1', *SMALL,
                    port=29611)
    return work_dir, log


def test_two_process_training_writes_one_checkpoint_set(trained):
    work_dir, log = trained
    assert 'Global batch: 8 per process x 2 processes = 16 (CPU, gloo)' in log
    names = sorted(os.listdir(work_dir))
    assert [n for n in names if n.endswith('.pth')] == ['epoch_1.pth']
    # One log folder: only rank 0 writes.
    assert len([n for n in names if osp.isdir(osp.join(work_dir, n))]) == 1
    ckpt = torch.load(osp.join(work_dir, 'epoch_1.pth'), weights_only=True)
    # 48 images at a global batch of 16: 3 iterations, not 6.
    assert ckpt['meta']['iter'] == 3
    # The checkpoint holds the plain model, not DDP's `module.` copy.
    assert all(not k.startswith('module.') for k in ckpt['state_dict'])


def test_two_process_resume_continues_at_the_next_epoch(trained):
    work_dir, _ = trained
    log = dist_tool('dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
                    '--resume', '--cfg-options', 'train_cfg.max_epochs=2',
                    *SMALL, port=29612)
    assert 'resumed epoch: 1, iter: 3' in log
    ckpt = torch.load(osp.join(work_dir, 'epoch_2.pth'), weights_only=True)
    assert ckpt['meta']['epoch'] == 2 and ckpt['meta']['iter'] == 6


def test_two_process_test_equals_one_process(trained, tmp_path):
    work_dir, _ = trained
    config = tmp_path / 'all_metrics.py'
    config.write_text(METRICS_CONFIG)
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    one, two = tmp_path / 'one.json', tmp_path / 'two.json'
    run_tool('tools/test.py', str(config), checkpoint, '--work-dir',
             str(tmp_path / 'one'), '--out', str(one), '--out-item',
             'metrics', '--cfg-options', *SMALL)
    dist_tool('dist_test.sh', str(config), checkpoint, '2', '--work-dir',
              str(tmp_path / 'two'), '--out', str(two), '--out-item',
              'metrics', '--cfg-options', *SMALL, port=29613)
    single, double = json.loads(one.read_text()), json.loads(two.read_text())
    assert sorted(single) == sorted(double)
    for key in ('accuracy/top1', 'cam/pxap', 'cam/l1', 'erf/distance',
                'attack_distance/attack_distance', 'acc/PGD-3_eps8',
                'group/worst_group_accuracy', 'box/maxboxacc_v2',
                'box/top1_loc', 'attribution/pointing_game',
                'faithfulness/deletion_auc', 'mprt/spearman_all'):
        assert key in single, (key, single)
    # The capped metrics count the same 33 and 9 first samples (with a cap
    # split as ceil(33 / 2) per rank they would count 34 and 10).
    for key, cap in (('attack_distance/clean_acc', 33), ('acc/clean', 9),
                     ('box/gt_known_loc', 37 / 100)):  # percent
        assert single[key] == double[key]
        assert single[key] * cap == pytest.approx(round(single[key] * cap))
    # Counts agree exactly; values computed in float32 agree to its
    # rounding, carried through the network: a batch of other images can
    # make oneDNN pick another convolution algorithm, which changes the last
    # bits (one pixel then falls into the next PxAP bucket; on one CPU the
    # deletion and insertion AUCs, means of probabilities in [0, 1], moved
    # by 1e-5, which is 3e-4 of their small difference). A sample counted
    # twice or left out moves these means by a percent or more.
    for key, value in single.items():
        assert double[key] == pytest.approx(
            value, rel=2e-4, abs=1e-4, nan_ok=True), key


def test_backend_follows_the_machine(monkeypatch):
    monkeypatch.delenv('TOPGAP_DIST_BACKEND', raising=False)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    assert choose_backend(cfg) == 'gloo'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert choose_backend(cfg) == 'nccl'
    monkeypatch.setenv('TOPGAP_DIST_BACKEND', 'gloo')
    assert choose_backend(cfg) == 'gloo'


def test_launchers_that_cannot_run_say_why(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match='dist_train.sh'):
        prepare_distributed(Config(dict(launcher='pytorch')))
    with pytest.raises(RuntimeError, match='slurm launcher needs GPUs'):
        prepare_distributed(Config(dict(launcher='slurm')))
    assert prepare_distributed(Config(dict(launcher='none'))) is None


def test_the_process_group_is_closed_at_the_end(monkeypatch):
    """An open gloo group at exit can abort a finished run."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    env = dict(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0',
               MASTER_ADDR='127.0.0.1', MASTER_PORT='29623')
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    cfg = Config(dict(launcher='pytorch', env_cfg=dict()))
    assert prepare_distributed(cfg) == 'gloo'
    assert torch.distributed.is_initialized()
    finish_distributed()
    assert not torch.distributed.is_initialized()
    finish_distributed()


@pytest.mark.parametrize('script,args,tool_args', [
    ('slurm_train.sh', ['part', 'job', 'cfg.py', 'work'],
     ['cfg.py', '--work-dir=work', '--launcher=slurm', '--amp']),
    ('slurm_test.sh', ['part', 'job', 'cfg.py', 'ckpt.pth'],
     ['cfg.py', 'ckpt.pth', '--launcher=slurm', '--amp']),
])
def test_slurm_scripts_hand_srun_the_job(tmp_path, script, args, tool_args):
    """A stand-in ``srun`` records what the script asks Slurm for."""
    srun = tmp_path / 'srun'
    srun.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" > '
                    f'{tmp_path}/argv\n')
    srun.chmod(0o755)
    env = dict(os.environ, PATH=f'{tmp_path}:{os.environ["PATH"]}',
               GPUS='16', GPUS_PER_NODE='8', SRUN_ARGS='--qos=low')
    subprocess.run(['bash', osp.join(ROOT, 'tools', script), *args, '--amp'],
                   env=env, check=True)
    argv = (tmp_path / 'argv').read_text().split('\n')[:-1]
    tool = 'train.py' if 'train' in script else 'test.py'
    at = next(i for i, a in enumerate(argv) if a.endswith('/' + tool))
    assert argv[:at - 2] == [
        '-p', 'part', '--job-name=job', '--gres=gpu:8', '--ntasks=16',
        '--ntasks-per-node=8', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        '--qos=low'
    ]
    assert argv[at - 1] == '-u' and argv[at + 1:] == tool_args
