"""The evaluation configs combine the paper's metrics with a model config."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmpretrain.registry import METRICS
from topgap_mm.evaluation import ModelMetric

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
EVAL_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs/evaluation/*.py')))


@pytest.mark.parametrize('path', EVAL_CONFIGS, ids=osp.basename)
def test_evaluation_config_builds_every_metric(path):
    cfg = Config.fromfile(path)
    metrics = [METRICS.build(m) for m in cfg.test_evaluator]
    types = [type(m).__name__ for m in metrics]
    expected = {
        'interpretability': ['CAMIoU', 'CAMSparsity', 'ERFDistance'],
        'robustness': ['AttackDistance', 'RobustAccuracy'],
        'localisation': ['CAMBoxAccuracy', 'AttributionLocalisation',
                         'DeletionInsertion', 'ParameterRandomisation',
                         'GridPointingGame'],
    }[osp.splitext(path)[0].rsplit('_', 1)[1]]
    assert types == ['Accuracy', *expected]
    # every model-aware metric is fed by the hook of the shared runtime
    assert any(isinstance(m, ModelMetric) for m in metrics)
    assert dict(type='AttachModelHook') in cfg.custom_hooks


def test_runtime_base_adds_attach_model_and_collapse_hooks_once():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/topgap/resnet18_fashionbg_k16.py'))
    assert [h['type'] for h in cfg.custom_hooks] == [
        'AttachModelHook', 'CAMCollapseHook', 'ClassCountCheckHook'
    ]
