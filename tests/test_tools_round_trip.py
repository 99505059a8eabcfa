"""train -> checkpoint -> test -> resume through the real command-line tools."""
import json
import os.path as osp

import pytest
import torch
from tool_runner import run_tool

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs/topgap/resnet18_fashionbg_k16.py')
SMALL = [
    'img_size=32',
    'train_dataloader.dataset.img_size=32',
    'train_dataloader.dataset.num_samples=48',
    'train_dataloader.batch_size=16',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.dataset.img_size=32',
    'val_dataloader.dataset.num_samples=32',
    'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False',
    'test_dataloader.dataset.img_size=32',
    'test_dataloader.dataset.num_samples=40',
    'test_dataloader.num_workers=0',
    'model.head.k=8',
    'train_cfg.val_interval=1',
    'param_scheduler=[]',
    'default_hooks.logger.interval=1',
]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('work'))
    run_tool('tools/train.py', CONFIG, '--work-dir', work_dir,
             '--cfg-options', 'train_cfg.max_epochs=1', *SMALL)
    return work_dir


def test_checkpoint_loads_with_safe_unpickler(trained):
    ckpt = torch.load(osp.join(trained, 'epoch_1.pth'), weights_only=True)
    assert ckpt['meta']['epoch'] == 1
    assert 'head.conv_cam.weight' in ckpt['state_dict']


def test_test_tool_reproduces_in_process_accuracy(trained, tmp_path):
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint

    from mmpretrain.registry import DATASETS, MODELS

    out = str(tmp_path / 'metrics.json')
    proc = run_tool('tools/test.py', CONFIG,
                    osp.join(trained, 'epoch_1.pth'), '--work-dir',
                    str(tmp_path), '--out', out, '--out-item', 'metrics',
                    '--cfg-options', *SMALL)
    assert 'Test metrics:' in proc.stdout + proc.stderr
    reported = json.load(open(out))['accuracy/top1']

    cfg = Config.fromfile(CONFIG)
    cfg.model.head.k = 8  # as SMALL sets it for the tools
    model = MODELS.build(cfg.model)
    load_checkpoint(model, osp.join(trained, 'epoch_1.pth'))
    model.eval()
    test_cfg = cfg.test_dataloader.dataset
    dataset = DATASETS.build(
        dict(test_cfg, img_size=32, num_samples=40))
    from mmpretrain.models.utils import ClsDataPreprocessor
    preprocessor = ClsDataPreprocessor(**cfg.data_preprocessor)
    batch = preprocessor(
        dict(
            inputs=[dataset[i]['inputs'] for i in range(len(dataset))],
            data_samples=[
                dataset[i]['data_samples'] for i in range(len(dataset))
            ]))
    with torch.no_grad():
        pred = model(batch['inputs']).argmax(1)
    labels = torch.cat([s.gt_label for s in batch['data_samples']])
    expected = 100.0 * (pred == labels).float().mean().item()
    assert reported == pytest.approx(expected, abs=1e-4)

    out_cl = str(tmp_path / 'metrics_cl.json')
    run_tool('tools/test.py', CONFIG, osp.join(trained, 'epoch_1.pth'),
             '--work-dir', str(tmp_path), '--out', out_cl, '--out-item',
             'metrics', '--channels-last', '--cfg-options', *SMALL)
    assert json.load(open(out_cl))['accuracy/top1'] == reported


def test_test_tool_never_overwrites_results(trained, tmp_path):
    out = tmp_path / 'metrics.json'
    out.write_text('keep me')
    proc = run_tool(
        'tools/test.py',
        CONFIG,
        osp.join(trained, 'epoch_1.pth'),
        '--out',
        str(out),
        '--out-item',
        'metrics',
        check=False)
    assert proc.returncode != 0
    assert '--overwrite' in proc.stderr
    assert out.read_text() == 'keep me'


def test_resume_continues_where_training_stopped(trained):
    first = torch.load(osp.join(trained, 'epoch_1.pth'), weights_only=True)
    proc = run_tool('tools/train.py', CONFIG, '--work-dir', trained,
                    '--resume', '--cfg-options', 'train_cfg.max_epochs=2',
                    *SMALL)
    assert 'resumed epoch: 1' in proc.stdout + proc.stderr
    second = torch.load(osp.join(trained, 'epoch_2.pth'), weights_only=True)
    assert second['meta']['epoch'] == 2
    # 48 samples in batches of 16: the resumed run adds exactly one epoch.
    assert first['meta']['iter'] == 3 and second['meta']['iter'] == 6
    assert not torch.equal(first['state_dict']['head.conv_cam.weight'],
                           second['state_dict']['head.conv_cam.weight'])


def test_history_buffer_round_trips_through_safe_loader(tmp_path):
    from mmengine.logging import HistoryBuffer

    buffer = HistoryBuffer([1.0, 3.0], [1, 1])
    torch.save({'buffer': buffer}, tmp_path / 'b.pth')
    loaded = torch.load(tmp_path / 'b.pth', weights_only=True)['buffer']
    assert loaded.mean() == 2.0 and loaded.max() == 3.0
    assert loaded.statistics('current') == 3.0


def test_safe_loader_still_refuses_untrusted_objects(tmp_path):
    import pickle

    torch.save({'obj': Untrusted()}, tmp_path / 'evil.pth')
    with pytest.raises(pickle.UnpicklingError, match='Untrusted'):
        torch.load(tmp_path / 'evil.pth', weights_only=True)


class Untrusted:
    """A class no allowlist knows, as a foreign checkpoint could hold."""


STANDARD = osp.join(ROOT, 'configs/standard/resnet18_fashionbg.py')
STANDARD_SMALL = [o for o in SMALL if not o.startswith('model.head.k')]


def test_test_tool_refuses_a_checkpoint_of_another_model(trained, tmp_path):
    # The Top-GAP checkpoint under the twin's config: before, this exited 0
    # with the metrics of an untrained linear head.
    ckpt = osp.join(trained, 'epoch_1.pth')
    proc = run_tool('tools/test.py', STANDARD, ckpt, '--work-dir',
                    str(tmp_path), '--cfg-options', *STANDARD_SMALL,
                    check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert ('a TopGAPClsHead checkpoint, this config builds LinearClsHead'
            in out)
    assert 'missing in the checkpoint: head.fc (2 keys)' in out
    assert 'not in the model: neck.convs' in out and 'head.conv_cam' in out
    assert 'Test metrics' not in out
    proc = run_tool('tools/test.py', STANDARD, ckpt, '--work-dir',
                    str(tmp_path), '--allow-partial-checkpoint',
                    '--cfg-options', *STANDARD_SMALL)
    assert 'Test metrics' in proc.stdout


def test_a_head_with_another_class_count_stops_before_training(tmp_path):
    for count in (2, 200):
        proc = run_tool('tools/train.py', CONFIG, '--work-dir',
                        str(tmp_path / str(count)), '--cfg-options',
                        'train_cfg.max_epochs=1', f'model.head.num_classes='
                        f'{count}', *SMALL, check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0
        assert (f'`model.head.num_classes` is {count}, but the train '
                'dataset (FashionBackgroundsDataset) has 4 classes') in out
        assert 'Epoch(train)' not in out
    proc = run_tool('tools/train.py', CONFIG, '--work-dir',
                    str(tmp_path / 'pre'), '--cfg-options',
                    'train_cfg.max_epochs=1', 'data_preprocessor.num_classes=3',
                    *SMALL, check=False)
    assert '`data_preprocessor.num_classes` is 3' in proc.stdout + proc.stderr
