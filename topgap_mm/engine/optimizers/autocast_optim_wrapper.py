"""Mixed-precision training in bfloat16 on any device, the CPU included."""
import logging
import os.path as osp
from contextlib import contextmanager
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from mmpretrain.registry import OPTIM_WRAPPERS

#: CPU flags (Linux ``/proc/cpuinfo``) of instructions that compute in
#: bfloat16; without them oneDNN converts to float32 and back around every
#: operation, and a bfloat16 step is slower than a float32 one.
NATIVE_BF16_FLAGS = ('avx512_bf16', 'amx_bf16')


def cpu_has_native_bf16(cpuinfo: str = '/proc/cpuinfo') -> Optional[bool]:
    """Whether this CPU computes in bfloat16 natively; ``None`` where its
    flags cannot be read (not Linux)."""
    if not osp.isfile(cpuinfo):
        return None
    with open(cpuinfo) as f:
        flags = set(f.read().split())
    return any(flag in flags for flag in NATIVE_BF16_FLAGS)


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """Run the training forward pass under :func:`torch.autocast`.

    MMEngine's ``AmpOptimWrapper`` refuses to run without a GPU and always
    scales the loss, which float16 needs and bfloat16 does not: bfloat16
    keeps float32's exponent range, so gradients neither underflow nor
    overflow. This wrapper casts the forward pass (convolutions and matrix
    products) to bfloat16 on the device the model is on, and keeps the
    parameters, gradients and optimiser state in float32. Validation and
    testing run outside it, in float32. On a CPU without bfloat16
    instructions (:data:`NATIVE_BF16_FLAGS`) it is slower than float32, and
    says so in the log once.

    Args:
        dtype (str | torch.dtype): The autocast type. Only ``'bfloat16'``:
            float16 needs loss scaling, for which use MMEngine's
            ``AmpOptimWrapper`` on a GPU. Defaults to ``'bfloat16'``.
        **kwargs: Passed to :class:`mmengine.optim.OptimWrapper`
            (``optimizer``, ``clip_grad``, ``accumulative_counts``).

    Examples:
        >>> import torch
        >>> model = torch.nn.Linear(4, 2)
        >>> wrapper = AutocastOptimWrapper(
        ...     optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
        >>> with wrapper.optim_context(model):
        ...     out = model(torch.ones(1, 4))
        >>> out.dtype, model.weight.dtype
        (torch.bfloat16, torch.float32)
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16',
                 **kwargs) -> None:
        if dtype not in ('bfloat16', torch.bfloat16):
            raise ValueError(
                f"AutocastOptimWrapper: dtype must be 'bfloat16', got "
                f'{dtype!r}; float16 needs loss scaling, which MMEngine\'s '
                "AmpOptimWrapper (GPU only) does: optim_wrapper=dict("
                "type='AmpOptimWrapper', dtype='float16').")
        super().__init__(**kwargs)
        self.cast_dtype = torch.bfloat16
        self._checked_cpu = False

    @contextmanager
    def optim_context(self, model: nn.Module):
        """The parent's context (no gradient synchronisation while
        accumulating) with the forward pass autocast on ``model``'s
        device."""
        # Autocast needs the device type: the model's, wherever it is.
        device = next(model.parameters()).device.type
        if device == 'cpu' and not self._checked_cpu:
            self._checked_cpu = True
            self._warn_without_native_bf16()
        with super().optim_context(model), torch.autocast(
                device_type=device, dtype=self.cast_dtype):
            yield

    @staticmethod
    def _warn_without_native_bf16() -> None:
        if cpu_has_native_bf16() is False:
            print_log(
                'AutocastOptimWrapper: this CPU has no bfloat16 instructions '
                f'({" or ".join(NATIVE_BF16_FLAGS)}), so training in '
                'bfloat16 is slower here than in float32; train in float32 '
                "with optim_wrapper.type='OptimWrapper'.",
                logger='current',
                level=logging.WARNING)
