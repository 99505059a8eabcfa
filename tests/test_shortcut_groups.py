"""The embedded benchmark's groups (class x background) reach
GroupAccuracy, and the keys the studies read are the ones the metrics
write."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

import topgap_mm  # noqa: F401
from topgap_mm.datasets import FashionBackgroundsDataset
from topgap_mm.datasets.fashion_backgrounds import BACKGROUNDS, CLASSES
from topgap_mm.evaluation.metrics.group_accuracy import GroupAccuracy
from topgap_mm.study.report import SHOWN

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.mark.parametrize('split', ['test_id', 'test_ood'])
def test_group_is_class_times_background_and_is_packed(split):
    dataset = FashionBackgroundsDataset(
        split=split, num_samples=64, pipeline=[dict(type='PackMaskedInputs')])
    names = dataset.metainfo['groups']
    assert len(names) == len(CLASSES) * len(BACKGROUNDS)
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        group = info['group_label']
        assert divmod(group, len(BACKGROUNDS)) == (info['gt_label'],
                                                   info['background'])
        assert names[group] == (f'{CLASSES[info["gt_label"]]} on '
                                f'{BACKGROUNDS[info["background"]]}')
    sample = dataset[3]['data_samples']
    assert sample.group_label == dataset.get_data_info(3)['group_label']


def test_packing_keeps_a_group_label_also_listed_in_meta_keys():
    """Waterbirds' configs list ``group_label`` in ``meta_keys``; packing it
    again must neither fail nor change it."""
    from mmpretrain.registry import TRANSFORMS
    pack = TRANSFORMS.build(
        dict(type='PackMaskedInputs',
             meta_keys=('img_shape', 'group_label')))
    out = pack(dict(img=np.zeros((4, 4, 3), np.uint8), gt_label=1,
                    img_shape=(4, 4), group_label=3))
    assert out['data_samples'].group_label == 3


def test_keys_the_studies_read_are_written_by_the_metrics():
    groups = np.array([0, 0, 1, 1, 1])
    correct = np.array([1, 1, 1, 0, 0])
    keys = {f'group/{k}' for k in GroupAccuracy.calculate(groups, correct)}
    assert abs(GroupAccuracy.calculate(groups, correct)[
        'worst_group_accuracy'] - 100 / 3) < 1e-9
    shown = {key for key, _, _ in SHOWN}
    assert 'group/worst_group_accuracy' in shown & keys
    waterbirds = Config.fromfile(
        osp.join(ROOT, 'configs/studies/waterbirds.py')).study
    assert waterbirds.select_k_by in keys
