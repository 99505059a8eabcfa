"""Strict checkpoint checks: a checkpoint of another model is an error.

MMEngine loads ``load_from`` non-strictly, so a standard model's checkpoint
tested with a Top-GAP config "works": the neck and head keep their random
initialisation, a notice about missing keys scrolls by in the log, and the
metrics are those of an untrained head. Every tool that evaluates or
analyses a checkpoint calls :func:`check_checkpoint` first.
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional

import torch.nn as nn
from mmengine.config import Config
from mmengine.runner.checkpoint import _load_checkpoint

#: Keys shown per group before "...".
SHOWN_KEYS = 3
#: How the two formats of ``torch.save`` begin: a zip archive (the default
#: since torch 1.6) and the legacy pickle stream (a protocol-2 opcode).
CHECKPOINT_MAGIC = (b'PK\x03\x04', b'\x80')
#: What to pass instead, for the messages.
TRAINED_CHECKPOINT = ('the .pth written by tools/train.py (e.g. '
                      'work_dirs/<config>/epoch_N.pth)')


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the model a config builds."""


def check_checkpoint_file(path: str) -> None:
    """Stop at a checkpoint path that cannot hold a PyTorch checkpoint.

    torch's loader ends in a bare ``EOFError`` on an empty file and in a
    ``KeyError`` or an unpickling error on a file of another kind, naming
    neither the file nor the fault. Only the file's first bytes are read;
    URLs, which MMEngine downloads, are not checked.

    Args:
        path (str): The checkpoint file.

    Raises:
        FileNotFoundError: If there is no such file.
        ValueError: If the file is empty or begins like neither format of
            ``torch.save``.
    """
    if '://' in path:
        return
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'checkpoint file not found: {path!r}; pass '
            f'{TRAINED_CHECKPOINT}.')
    with open(path, 'rb') as f:
        head = f.read(16)
    if not head:
        raise ValueError(
            f'checkpoint file {path!r} is empty (0 bytes), not a checkpoint: '
            'a run stopped while saving it or a copy failed. Pass '
            f'{TRAINED_CHECKPOINT}.')
    if not head.startswith(CHECKPOINT_MAGIC):
        raise ValueError(
            f'checkpoint file {path!r} is not a PyTorch checkpoint: it '
            f'starts with {head!r}, where a file of torch.save starts with '
            f'{CHECKPOINT_MAGIC[0]!r} (a zip archive) or '
            f'{CHECKPOINT_MAGIC[1]!r} (its legacy format). Pass '
            f'{TRAINED_CHECKPOINT}.')


def _state_dict(checkpoint: dict) -> Dict:
    state = checkpoint.get('state_dict', checkpoint)
    # DDP-wrapped checkpoints prefix every key with `module.`.
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k,
                        v) for k, v in state.items())


def _groups(keys: List[str]) -> List[str]:
    """``['head.fc.weight', 'head.fc.bias']`` -> ``['head.fc (2 keys)']``."""
    groups: Dict[str, List[str]] = OrderedDict()
    for key in keys:
        groups.setdefault('.'.join(key.split('.')[:2]), []).append(key)
    return [
        f'{g} ({len(v)} key{"s" if len(v) > 1 else ""})'
        for g, v in groups.items()
    ]


def _checkpoint_head(checkpoint: dict) -> Optional[str]:
    """The head type of the config the checkpoint was trained with."""
    cfg = checkpoint.get('meta', {}).get('cfg')
    if not isinstance(cfg, str):
        return None
    try:
        head = Config.fromstring(cfg, '.py').model.get('head', {})
    except Exception:  # an old or foreign meta: say nothing rather than guess
        return None
    return head.get('type') if isinstance(head, dict) else None


def check_checkpoint(model: nn.Module,
                     path: str,
                     allow_partial: bool = False) -> None:
    """Check that every key and shape of ``model`` is in the checkpoint.

    Args:
        model (nn.Module): The model the config builds.
        path (str): The checkpoint file.
        allow_partial (bool): Skip the check, for users who mean a partial
            load. Defaults to False.

    Raises:
        FileNotFoundError: If there is no such file.
        ValueError: If the file is empty or not a PyTorch checkpoint
            (:func:`check_checkpoint_file`).
        CheckpointMismatchError: Listing the missing, unexpected and
            mis-shaped key groups, what the checkpoint is and what the
            config builds, and the flag that allows a partial load.
    """
    check_checkpoint_file(path)
    if allow_partial:
        return
    checkpoint = _load_checkpoint(path, map_location='cpu')
    theirs = _state_dict(checkpoint)
    ours = model.state_dict()
    missing = [k for k in ours if k not in theirs]
    unexpected = [k for k in theirs if k not in ours]
    shapes = [
        f'{k} {tuple(theirs[k].shape)} vs {tuple(ours[k].shape)}'
        for k in ours if k in theirs and hasattr(theirs[k], 'shape')
        and tuple(theirs[k].shape) != tuple(ours[k].shape)
    ]
    if not (missing or unexpected or shapes):
        return
    built = type(getattr(model, 'head', None)).__name__
    trained = _checkpoint_head(checkpoint)
    what = (f'a {trained} checkpoint, this config builds {built}'
            if trained and trained != built else
            f'this config builds {built}')
    lines = [f'Checkpoint {path!r} does not fit the model ({what}):']
    if missing:
        lines.append('  missing in the checkpoint: ' +
                     ', '.join(_groups(missing)))
    if unexpected:
        lines.append('  not in the model: ' + ', '.join(_groups(unexpected)))
    if shapes:
        lines.append('  other shapes (checkpoint vs model): ' +
                     '; '.join(shapes[:SHOWN_KEYS]) +
                     ('; ...' if len(shapes) > SHOWN_KEYS else ''))
    lines.append('Evaluate a checkpoint trained with this config, or pass '
                 '--allow-partial-checkpoint to load only the matching keys '
                 '(the rest keeps its initialisation).')
    raise CheckpointMismatchError('\n'.join(lines))
