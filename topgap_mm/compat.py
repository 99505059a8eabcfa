"""Fixes for the dependency stack, applied once when ``topgap_mm`` is
imported.

* torch >= 2.6 loads checkpoints with ``weights_only=True``. MMEngine
  0.10.7 calls ``torch.load`` without the argument, and its checkpoints hold
  a :class:`~mmengine.logging.HistoryBuffer` with numpy arrays in
  ``meta['message_hub']``, so ``--resume`` and testing a checkpoint fail with
  "Unsupported global". Rather than turning the safe loader off, the few
  classes MMEngine writes into its checkpoints are added to torch's
  allowlist of trusted globals; any other object in a checkpoint is still
  refused by the safe unpickler. A HistoryBuffer also pickled its default
  statistics methods as ``getattr(HistoryBuffer, 'min')``; allowing
  ``getattr`` would open the unpickler to arbitrary code, so buffers are
  pickled without those defaults, which unpickling restores anyway.
  Checkpoints written by plain MMEngine keep that ``getattr`` and only load
  with ``weights_only=False``, for files you trust.
* ``mmcv`` and ``mmcv-lite`` install the same import name; with both present
  one silently overwrites the other's files, so the import fails loudly.
* Three known-harmless warnings are silenced, by their exact messages, so
  that a run's output is its log: setuptools' ``pkg_resources``
  deprecation (MMEngine imports it), mmcv-lite's missing
  ``MultiScaleDeformableAttention`` (an op of ``mmcv.ops``, never used
  here) and torch's ``pin_memory`` without an accelerator. The tools import
  ``topgap_mm`` before MMEngine for this; every other warning stays.
"""
import warnings
from importlib import metadata

import numpy as np
import torch

for _message in (r'pkg_resources is deprecated',
                 r'Fail to import ``MultiScaleDeformableAttention``',
                 r"'pin_memory' argument is set as true but no accelerator"):
    warnings.filterwarnings('ignore', message=_message)


def _installed(dist: str) -> bool:
    try:
        metadata.version(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


def check_single_mmcv() -> None:
    """Refuse an environment that has both mmcv and mmcv-lite installed."""
    if _installed('mmcv') and _installed('mmcv-lite'):
        raise ImportError(
            'Both `mmcv` and `mmcv-lite` are installed; they share the '
            'import name `mmcv` and overwrite each other. Keep one: '
            '`pip uninstall -y mmcv mmcv-lite` then install `.[lite]` '
            '(no compiled ops) or `.[full]` (a compiled mmcv).')


def _mmengine_checkpoint_globals() -> list:
    """Classes and functions MMEngine's checkpoints need to unpickle."""
    from mmengine.logging import HistoryBuffer
    from mmengine.config import ConfigDict

    trusted = [HistoryBuffer, ConfigDict, np.ndarray, np.dtype]
    # numpy moved its pickle helpers to numpy._core in 2.0.
    core = getattr(np, '_core', None) or np.core
    trusted.append(core.multiarray._reconstruct)
    trusted.append(core.multiarray.scalar)
    # Arrays pickle their dtype as an instance of a per-type class
    # (numpy.dtypes.Float64DType, ...), each of which must be allowed.
    trusted.extend(
        getattr(np.dtypes, name) for name in dir(np.dtypes)
        if name.endswith('DType'))
    return trusted


_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_getstate(self) -> dict:
    """Pickle a HistoryBuffer without the default statistics methods."""
    state = {k: v for k, v in self.__dict__.items()
             if k != 'statistics_methods'}
    custom = {name: method
              for name, method in self._statistics_methods.items()
              if name not in _DEFAULT_STATISTICS}
    if custom:
        state['statistics_methods'] = custom
    return state


def allow_mmengine_checkpoints() -> None:
    """Let ``torch.load(weights_only=True)`` read MMEngine checkpoints."""
    from mmengine.logging import HistoryBuffer

    HistoryBuffer.__getstate__ = _history_buffer_getstate
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:
        add_safe_globals(_mmengine_checkpoint_globals())


check_single_mmcv()
allow_mmengine_checkpoints()
