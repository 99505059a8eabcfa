"""check_checkpoint: which wrong checkpoints it stops, and what it says."""
import pytest
import torch
import torch.nn as nn

from topgap_mm.apis import CheckpointMismatchError, check_checkpoint


class Net(nn.Module):

    def __init__(self, classes=4, neck=True):
        super().__init__()
        self.backbone = nn.Conv2d(3, 8, 3)
        if neck:
            self.neck = nn.Conv2d(8, 8, 1)
        self.head = nn.Linear(8, classes)


def save(model, path, **extra):
    torch.save(dict(state_dict=model.state_dict(), **extra), path)
    return str(path)


def test_same_model_passes_and_ddp_prefix_is_ignored(tmp_path):
    model = Net()
    check_checkpoint(model, save(model, tmp_path / 'a.pth'))
    wrapped = {f'module.{k}': v for k, v in model.state_dict().items()}
    torch.save(dict(state_dict=wrapped), tmp_path / 'ddp.pth')
    check_checkpoint(model, str(tmp_path / 'ddp.pth'))


def test_missing_unexpected_and_shapes_are_listed(tmp_path):
    path = save(Net(classes=200, neck=False), tmp_path / 'other.pth')
    with pytest.raises(CheckpointMismatchError) as error:
        check_checkpoint(Net(), path)
    message = str(error.value)
    assert 'missing in the checkpoint: neck.weight (1 key), neck.bias' in (
        message)
    assert 'head.weight (200, 8) vs (4, 8)' in message
    assert '--allow-partial-checkpoint' in message
    # A partial load is allowed when asked for.
    check_checkpoint(Net(), path, allow_partial=True)


def test_the_checkpoints_head_type_is_named_from_its_config(tmp_path):
    cfg = "model = dict(type='ImageClassifier', head=dict(type='LinearClsHead'))"
    path = save(Net(neck=False), tmp_path / 'meta.pth', meta=dict(cfg=cfg))
    with pytest.raises(CheckpointMismatchError,
                       match='a LinearClsHead checkpoint, this config builds '
                       'Linear'):
        check_checkpoint(Net(), path)
