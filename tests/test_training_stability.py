"""The L1 warm-up and the CAM-collapse warning of Top-GAP training."""
import logging
import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub

from mmpretrain.registry import HOOKS, MODELS


def topgap_model(num_classes=4, loss_weight=1.0):
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet', depth=18, out_indices=(2, 3)),
            neck=dict(type='TopGAPFPN', in_channels=[256, 512]),
            head=dict(
                type='TopGAPClsHead',
                num_classes=num_classes,
                in_channels=256,
                k=4,
                l1_loss=dict(type='CAML1Loss', loss_weight=loss_weight))))


def standard_model(num_classes=4):
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet', depth=18),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=num_classes,
                in_channels=512)))


class Recorder(logging.Handler):

    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def messages(self, level):
        return [r.getMessage() for r in self.records if r.levelno == level]


def fake_runner(model, iters_per_epoch=10):
    logger = logging.getLogger(f'test_stability_{id(model)}')
    logger.setLevel(logging.INFO)
    recorder = Recorder()
    logger.addHandler(recorder)
    runner = SimpleNamespace(
        model=model,
        iter=0,
        train_dataloader=[None] * iters_per_epoch,
        message_hub=MessageHub.get_instance(f'stability_{id(model)}'),
        logger=logger)
    return runner, recorder


def run_iters(hook, runner, n, outputs=None):
    for _ in range(n):
        hook.before_train_iter(runner, runner.iter)
        if outputs is not None:
            hook.after_train_iter(runner, runner.iter, outputs=outputs())
        runner.iter += 1


def test_warmup_ramps_linearly_from_start_factor_to_configured_weight():
    model = topgap_model(loss_weight=2.0)
    hook = HOOKS.build(
        dict(
            type='LossWeightWarmupHook', warmup_epochs=1.5,
            start_factor=0.1))
    runner, _ = fake_runner(model, iters_per_epoch=10)
    hook.before_train(runner)
    seen = []
    for _ in range(20):
        hook.before_train_iter(runner, runner.iter)
        seen.append(model.head.l1_loss_module.loss_weight)
        runner.iter += 1
    # 1.5 epochs of 10 iterations: 15 iterations from 0.2 to 2.0.
    expected = [2.0 * (0.1 + 0.9 * min(1.0, i / 15)) for i in range(20)]
    assert seen == pytest.approx(expected)
    assert seen[0] == pytest.approx(0.2) and seen[15:] == [2.0] * 5
    assert runner.message_hub.get_scalar(
        'train/l1_weight').current() == pytest.approx(2.0)
    hook.after_train(runner)
    assert model.head.l1_loss_module.loss_weight == 2.0


def test_warmup_weight_depends_on_iteration_only_so_resume_continues():
    model = topgap_model()
    hook = HOOKS.build(dict(type='LossWeightWarmupHook', warmup_iters=8))
    runner, _ = fake_runner(model)
    hook.before_train(runner)
    run_iters(hook, runner, 5)
    continuous = model.head.l1_loss_module.loss_weight

    # A resumed run builds a new model and hook and starts at iteration 4.
    resumed = topgap_model()
    hook = HOOKS.build(dict(type='LossWeightWarmupHook', warmup_iters=8))
    runner, _ = fake_runner(resumed)
    runner.iter = 4
    hook.before_train(runner)
    hook.before_train_iter(runner, 0)
    assert resumed.head.l1_loss_module.loss_weight == continuous == 0.5


def test_warmup_changes_the_gradient_of_the_l1_term():
    model = topgap_model()
    hook = HOOKS.build(dict(type='LossWeightWarmupHook', warmup_iters=4))
    runner, _ = fake_runner(model)
    hook.before_train(runner)
    hook.before_train_iter(runner, 0)
    cam = torch.randn(2, 4, 3, 3, requires_grad=True)
    model.head.l1_loss_module(cam).backward()
    assert torch.count_nonzero(cam.grad) == 0
    runner.iter = 2
    hook.before_train_iter(runner, 0)
    cam.grad = None
    model.head.l1_loss_module(cam).backward()
    torch.testing.assert_close(cam.grad, 0.5 * cam.detach().sign() / 72)


@pytest.mark.parametrize('kwargs, match', [
    (dict(), 'exactly one of `warmup_epochs` and `warmup_iters`'),
    (dict(warmup_epochs=1, warmup_iters=5), 'exactly one'),
    (dict(warmup_iters=0), 'must be > 0'),
    (dict(warmup_epochs=1, start_factor=1.5), '`start_factor`'),
])
def test_warmup_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HOOKS.build(dict(type='LossWeightWarmupHook', **kwargs))


def test_warmup_names_a_missing_module():
    model = standard_model(num_classes=3)
    hook = HOOKS.build(dict(type='LossWeightWarmupHook', warmup_iters=4))
    runner, _ = fake_runner(model)
    with pytest.raises(AttributeError, match='head.l1_loss_module'):
        hook.before_train(runner)


def collapse_hook(patience=20):
    return HOOKS.build(dict(type='CAMCollapseHook', patience=patience))


def losses(loss_cls, loss_l1):
    return lambda: dict(
        loss_cls=torch.tensor(loss_cls, requires_grad=True),
        loss_l1=torch.tensor(loss_l1))


def test_collapse_warns_once_at_chance_with_a_crushed_cam_and_names_fix():
    model = topgap_model(num_classes=4)
    hook = collapse_hook()
    runner, recorder = fake_runner(model)
    hook.before_train(runner)
    # Chance for 4 classes is ln 4 = 1.386; the batches are noisy around it.
    noisy = iter([math.log(4) + d for d in [0.04, -0.03, 0.035] * 40])
    run_iters(hook, runner, 19, lambda: losses(next(noisy), 0.03)())
    assert recorder.messages(logging.WARNING) == []
    run_iters(hook, runner, 30, lambda: losses(next(noisy), 0.03)())
    warnings = recorder.messages(logging.WARNING)
    assert len(warnings) == 1
    assert 'CAM collapse' in warnings[0]
    assert "'head.conv_cam': dict(lr_mult=0.1)" in warnings[0]
    # Leaving the collapse is logged; a new episode warns again.
    run_iters(hook, runner, 20, losses(0.4, 0.03))
    assert any('left the collapse' in m
               for m in recorder.messages(logging.INFO))
    run_iters(hook, runner, 20, losses(math.log(4), 0.03))
    assert len(recorder.messages(logging.WARNING)) == 2


@pytest.mark.parametrize('loss_cls, loss_l1', [
    (math.log(4), 0.8),  # at chance with a live map
    (1.0, 0.02),  # learning with a sparse map: what Top-GAP should do
])
def test_collapse_stays_quiet_when_only_one_sign_is_there(loss_cls, loss_l1):
    model = topgap_model(num_classes=4)
    hook = collapse_hook()
    runner, recorder = fake_runner(model)
    hook.before_train(runner)
    run_iters(hook, runner, 60, losses(loss_cls, loss_l1))
    assert recorder.messages(logging.WARNING) == []


def test_collapse_reads_the_unweighted_cam_through_the_warmup():
    # A logged loss_l1 of 0.07 at weight 0.1 is a mean |CAM| of 0.7: alive.
    model = topgap_model(num_classes=4, loss_weight=0.1)
    hook = collapse_hook()
    runner, recorder = fake_runner(model)
    hook.before_train(runner)
    run_iters(hook, runner, 60, losses(math.log(4), 0.07))
    assert recorder.messages(logging.WARNING) == []
    # At weight 0 nothing is counted.
    model.head.l1_loss_module.loss_weight = 0.0
    hook = collapse_hook()
    hook.before_train(runner)
    run_iters(hook, runner, 60, losses(math.log(4), 0.0))
    assert recorder.messages(logging.WARNING) == []


def test_collapse_hook_ignores_models_without_an_l1_term():
    model = standard_model()
    hook = collapse_hook()
    runner, recorder = fake_runner(model)
    hook.before_train(runner)
    run_iters(hook, runner, 60, lambda: dict(loss=torch.tensor(1.386)))
    assert recorder.records == []


def write_scalars(path, records):
    import json
    path.parent.mkdir(parents=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))


def test_epoch_curves_average_iterations_and_continue_a_resumed_run(tmp_path):
    from topgap_mm.visualization.training_curves import (plot_training_curves,
                                                         read_epoch_curves)

    # MMEngine's format: training records carry `epoch`, validation ones
    # the epoch as `step`; a resumed run writes a second timestamp folder.
    write_scalars(tmp_path / '20260101_000000' / 'vis_data' / 'scalars.json',
                  [
                      dict(loss_cls=1.4, loss_l1=0.2, epoch=1, iter=1,
                           step=1),
                      dict(loss_cls=1.2, loss_l1=0.4, epoch=1, iter=2,
                           step=2),
                      dict({'accuracy/top1': 30.0}, time=0.1, step=1),
                      dict(loss_cls=9.0, loss_l1=9.0, epoch=2, iter=3,
                           step=3),
                  ])
    write_scalars(tmp_path / '20260101_010000' / 'vis_data' / 'scalars.json',
                  [
                      dict(loss_cls=0.6, loss_l1=0.1, epoch=2, iter=3,
                           step=3),
                      dict(loss_cls=0.4, loss_l1=0.1, epoch=2, iter=4,
                           step=4),
                      dict({'accuracy/top1': 80.0}, time=0.1, step=2),
                  ])
    curves = read_epoch_curves(str(tmp_path))
    assert curves['loss_cls'] == pytest.approx({1: 1.3, 2: 0.5})
    assert curves['loss_l1'] == pytest.approx({1: 0.3, 2: 0.1})
    assert curves['accuracy/top1'] == {1: 30.0, 2: 80.0}
    out = tmp_path / 'curves.png'
    assert plot_training_curves([('a', str(tmp_path)), ('a', str(tmp_path))],
                                str(out)) == ['a']
    assert out.stat().st_size > 0
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        read_epoch_curves(str(tmp_path / 'nothing'))


def test_demo_config_trains_the_cam_convolution_at_a_tenth_of_the_lr():
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    init_default_scope('mmpretrain')
    cfg = Config.fromfile('configs/topgap/resnet18_fashionbg_k16.py')
    model = MODELS.build(cfg.model)
    optim = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    base = cfg.optim_wrapper.optimizer.lr
    cam_params = {id(p) for p in model.head.conv_cam.parameters()}
    lrs = {
        id(p): group['lr']
        for group in optim.param_groups for p in group['params']
    }
    assert [lrs[i] for i in cam_params] == pytest.approx([0.1 * base] * 2)
    others = {lr for i, lr in lrs.items() if i not in cam_params}
    assert others == {base}
