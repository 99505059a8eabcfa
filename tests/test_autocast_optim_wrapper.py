"""AutocastOptimWrapper: Top-GAP's training step in bfloat16 on the CPU."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from tool_runner import ROOT

from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from topgap_mm.engine import AutocastOptimWrapper, cpu_has_native_bf16

CONFIG = f'{ROOT}/configs/topgap/resnet18_fashionbg_k16.py'


def test_float16_is_refused_naming_the_wrapper_that_scales_the_loss():
    model = torch.nn.Linear(2, 2)
    with pytest.raises(ValueError, match=r"dtype must be 'bfloat16'.*"
                       r'AmpOptimWrapper'):
        AutocastOptimWrapper(
            dtype='float16',
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1))


def _step(wrapper_type):
    """One training step of the shipped Top-GAP config from one init and
    one batch; returns the model, its wrapper, the losses and the dtype of
    the backbone's last feature map."""
    cfg = Config.fromfile(CONFIG)
    DefaultScope.get_instance(f'autocast-{wrapper_type}',
                              scope_name='mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    optim_cfg = copy.deepcopy(cfg.optim_wrapper.to_dict())
    optim_cfg['type'] = wrapper_type
    wrapper = build_optim_wrapper(model, optim_cfg)
    torch.manual_seed(1)
    data = dict(
        inputs=list(torch.randint(0, 256, (4, 3, 64, 64), dtype=torch.uint8)),
        data_samples=[DataSample().set_gt_label(i) for i in (0, 1, 2, 3)])
    seen = []
    model.backbone.register_forward_hook(
        lambda module, args, out: seen.append(out[-1].dtype))
    model.train()
    losses = model.train_step(data, wrapper)
    return model, wrapper, losses, seen[0]


def test_the_forward_pass_runs_in_bfloat16_and_everything_kept_in_float32():
    model, wrapper, losses, dtype = _step('AutocastOptimWrapper')
    reference, _, reference_losses, reference_dtype = _step('OptimWrapper')
    assert isinstance(wrapper, AutocastOptimWrapper)
    assert dtype == torch.bfloat16 and reference_dtype == torch.float32
    # The config's per-parameter learning rates reach the wrapper.
    rates = sorted({round(g['lr'], 6) for g in wrapper.optimizer.param_groups})
    assert rates == [0.02, 0.2]
    # Parameters, their gradients and the momentum stay float32 ...
    for p in model.parameters():
        assert p.dtype == torch.float32
        assert wrapper.optimizer.state[p]['momentum_buffer'].dtype == \
            torch.float32
    # ... and the loss is the float32 loss to bfloat16's precision (8 bits
    # of mantissa through 20 layers), not another loss.
    for key in ('loss_cls', 'loss_l1'):
        assert losses[key].item() == pytest.approx(
            reference_losses[key].item(), rel=0.05)
        assert losses[key].item() != reference_losses[key].item()
    # The update moved the weights as float32's did, by the same length to
    # 5%: the head's in the same direction, the first convolution's, whose
    # gradient went back through every bfloat16 layer, in nearly the same.
    torch.manual_seed(0)
    init = dict(MODELS.build(Config.fromfile(CONFIG).model).named_parameters())
    for name, min_cosine in (('head.conv_cam.weight', 0.995),
                             ('backbone.conv1.weight', 0.8)):
        step = dict(model.named_parameters())[name] - init[name]
        ref = dict(reference.named_parameters())[name] - init[name]
        assert torch.cosine_similarity(
            step.flatten(), ref.flatten(), dim=0) > min_cosine
        assert (step.norm() / ref.norm()).item() == pytest.approx(1, abs=0.05)
    # Validation runs outside the training context, in float32.
    model.eval()
    out = model.val_step(dict(inputs=[torch.zeros(3, 64, 64)]))
    assert out[0].pred_score.dtype == torch.float32


@pytest.mark.parametrize('flags, native', [
    ('fpu sse2 avx2 avx512f avx512bw avx512_vnni', False),
    ('fpu avx2 avx512f avx512_bf16 avx512_vnni', True),
    ('fpu avx2 amx_bf16 amx_tile', True),
])
def test_native_bf16_is_read_from_the_cpu_flags(tmp_path, flags, native):
    cpuinfo = tmp_path / 'cpuinfo'
    # Two processors, as /proc/cpuinfo lists them.
    cpuinfo.write_text(f'processor\t: 0\nflags\t\t: {flags}\n\n'
                       f'processor\t: 1\nflags\t\t: {flags}\n')
    assert cpu_has_native_bf16(str(cpuinfo)) is native
    assert cpu_has_native_bf16(str(tmp_path / 'absent')) is None


def test_a_cpu_without_bf16_instructions_is_told_once(monkeypatch):
    from mmengine.logging import MMLogger
    from topgap_mm.engine.optimizers import autocast_optim_wrapper
    monkeypatch.setattr(autocast_optim_wrapper, 'cpu_has_native_bf16',
                        lambda: False)
    messages = []
    logger = MMLogger.get_current_instance()
    monkeypatch.setattr(logger, 'log',
                        lambda level, msg, *a, **k: messages.append(msg))
    model = torch.nn.Linear(2, 2)
    wrapper = AutocastOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    for _ in range(2):
        with wrapper.optim_context(model):
            model(torch.ones(1, 2))
    assert len(messages) == 1
    assert 'slower here than in float32' in messages[0]
    assert "optim_wrapper.type='OptimWrapper'" in messages[0]
