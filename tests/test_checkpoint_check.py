"""check_checkpoint: which wrong checkpoints it stops, and what it says."""
import os.path as osp
import sys

import pytest
import torch
import torch.nn as nn

from topgap_mm.utils import (CheckpointMismatchError, check_checkpoint,
                             check_checkpoint_file)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


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


@pytest.mark.parametrize('partial', [False, True])
def test_test_tool_names_an_empty_or_foreign_checkpoint_file(
        tmp_path, monkeypatch, partial):
    """Before any model is built, with or without a partial load: torch's
    loader alone ends in a bare ``EOFError`` on an empty file and a
    ``KeyError`` on a text file, naming neither the file nor the fault."""
    from tools import test as test_tool
    config = osp.join(ROOT, 'configs/topgap/resnet18_fashionbg_k16.py')
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    notes = tmp_path / 'notes.pth'
    notes.write_text('hello\n')
    flags = ['--allow-partial-checkpoint'] if partial else []
    for path, message in (
            (empty, r"'.*empty\.pth' is empty \(0 bytes\)"),
            (notes, r"'.*notes\.pth' is not a PyTorch checkpoint: it "
             r"starts with b'hello\\n'")):
        monkeypatch.setattr(
            sys, 'argv',
            ['tools/test.py', config, str(path), '--work-dir',
             str(tmp_path / 'work'), *flags])
        with pytest.raises(ValueError, match=message) as error:
            test_tool.main()
        print(f'\n{path.name}: {error.value}')
    assert not (tmp_path / 'work').exists()


def test_analysis_tools_check_the_file_before_loading(tmp_path):
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    with pytest.raises(ValueError, match='is empty'):
        check_checkpoint(Net(), str(empty))
    model = Net()
    with pytest.raises(ValueError, match='is empty'):
        check_checkpoint_file(str(empty))
    with pytest.raises(FileNotFoundError, match='checkpoint file not found'):
        check_checkpoint_file(str(tmp_path / 'none.pth'))
    # Both formats of torch.save pass.
    check_checkpoint_file(save(model, tmp_path / 'zip.pth'))
    legacy = tmp_path / 'legacy.pth'
    torch.save(model.state_dict(), legacy,
               _use_new_zipfile_serialization=False)
    check_checkpoint_file(str(legacy))
