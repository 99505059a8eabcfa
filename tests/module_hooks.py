"""Counting a model's hooks: a CAM method must remove every hook it adds,
also when it fails."""
import torch.nn as nn


def hook_count(model: nn.Module) -> int:
    """Forward, forward-pre and backward hooks on every module of
    ``model``."""
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) +
        len(m._backward_hooks) for m in model.modules())
