"""Strict checkpoint checks: a checkpoint of another model is an error.

MMEngine loads ``load_from`` non-strictly, so a standard model's checkpoint
tested with a Top-GAP config "works": the neck and head keep their random
initialisation, a notice about missing keys scrolls by in the log, and the
metrics are those of an untrained head. Every tool that evaluates or
analyses a checkpoint calls :func:`check_checkpoint` first.
"""
from collections import OrderedDict
from typing import Dict, List, Optional

import torch.nn as nn
from mmengine.config import Config
from mmengine.runner.checkpoint import _load_checkpoint

#: Keys shown per group before "...".
SHOWN_KEYS = 3


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the model a config builds."""


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
        CheckpointMismatchError: Listing the missing, unexpected and
            mis-shaped key groups, what the checkpoint is and what the
            config builds, and the flag that allows a partial load.
    """
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
