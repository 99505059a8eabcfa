"""Distributed runs with MMEngine's launchers on machines with or without
GPUs.

MMEngine 0.10's ``pytorch`` launcher assumes CUDA: ``init_dist`` calls
``torch.cuda.set_device`` and ``Runner.wrap_model`` passes ``device_ids``
to DDP, which a CPU model rejects. On a machine without a GPU,
:func:`prepare_distributed` starts the process group itself with gloo (the
runner then skips ``init_dist``) and asks for a DDP wrapper without device
ids; with a GPU it changes nothing, so NCCL and MMEngine's own path stay.
"""
import datetime
import inspect
import os
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.dist import get_world_size
from torch.nn.parallel import DistributedDataParallel

#: Environment variable that overrides the process group's backend.
BACKEND_ENV = 'TOPGAP_DIST_BACKEND'
#: Variables torchrun sets and the ``pytorch`` launcher reads.
TORCHRUN_ENV = ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR',
                'MASTER_PORT')


def choose_backend(cfg: Config) -> str:
    """The backend of the process group.

    ``$TOPGAP_DIST_BACKEND`` if set, else ``env_cfg.dist_cfg.backend`` of
    the config where it fits the machine, else ``nccl`` with CUDA and
    ``gloo`` without.

    Args:
        cfg (Config): The run's config.

    Returns:
        str: ``'nccl'``, ``'gloo'`` or ``'mpi'``.
    """
    override = os.environ.get(BACKEND_ENV)
    if override:
        return override
    backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend')
    if not torch.cuda.is_available() and backend in (None, 'nccl'):
        return 'gloo'
    return backend or 'nccl'


def prepare_distributed(cfg: Config) -> Optional[str]:
    """Make ``cfg.launcher`` work on this machine; call before the Runner.

    Args:
        cfg (Config): The run's config, with ``launcher`` set. Changed in
            place: ``env_cfg.dist_cfg.backend`` and, without CUDA,
            ``model_wrapper_cfg`` (DDP without device ids).

    Returns:
        str | None: The backend, or None for a single-process run.

    Raises:
        RuntimeError: If the launcher's environment is incomplete, or the
            ``slurm`` launcher is asked for on a machine without GPUs.
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none':
        return None
    backend = choose_backend(cfg)
    cfg.merge_from_dict({'env_cfg.dist_cfg.backend': backend})
    if torch.cuda.is_available():
        return backend
    if launcher == 'slurm':
        raise RuntimeError(
            'The slurm launcher needs GPUs (MMEngine sets a CUDA device per '
            'task); on CPU nodes run tools/dist_train.sh (torchrun) inside '
            'the allocation instead.')
    if launcher == 'pytorch' and not torch_dist.is_initialized():
        missing = [k for k in TORCHRUN_ENV if k not in os.environ]
        if missing:
            raise RuntimeError(
                f'--launcher pytorch needs the variables torchrun sets, '
                f'missing {missing}: start the tool with '
                f'tools/dist_train.sh / tools/dist_test.sh or torchrun.')
        timeout = cfg.env_cfg.dist_cfg.get('timeout', 1800)
        torch_dist.init_process_group(
            backend=backend,
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']),
            timeout=datetime.timedelta(seconds=timeout))
    if cfg.get('model_wrapper_cfg') is None:
        # An explicit None: the runner's default `device_ids=[LOCAL_RANK]`
        # only fills keys the config leaves out.
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
        # MMEngine's default, buffers not synced at each forward, under the
        # name newer torch gives it (the old one warns there).
        key = ('forward_sync_buffers' if 'forward_sync_buffers' in
               inspect.signature(DistributedDataParallel).parameters else
               'broadcast_buffers')
        cfg.model_wrapper_cfg[key] = False
    return backend


def finish_distributed() -> None:
    """Close the process group at the end of a run; a no-op without one.

    A gloo process group left open when the interpreter exits can abort the
    process (``terminate called without an active exception``) after all
    work is done, which turns a finished run into a failed one for the
    launcher (pytorch/pytorch#190489: gloo's worker threads are torn down
    with the interpreter). The barrier lets every rank finish its last
    collective first.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def global_batch_message(cfg: Config) -> str:
    """The line that states the global training batch.

    Args:
        cfg (Config): The run's config, after the process group started.

    Returns:
        str: For example ``'Global batch: 32 per process x 2 processes =
        64 (CPU, gloo)'``.
    """
    per_process = cfg.train_dataloader.batch_size
    world_size = get_world_size()
    where = 'GPU' if torch.cuda.is_available() else 'CPU'
    backend = (torch_dist.get_backend()
               if torch_dist.is_initialized() else 'single process')
    return (f'Global batch: {per_process} per process x {world_size} '
            f'process{"es" if world_size > 1 else ""} = '
            f'{per_process * world_size} ({where}, {backend})')
