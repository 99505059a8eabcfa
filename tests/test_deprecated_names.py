"""Names a user's config or script may still use keep working, with a
warning that names their replacement."""
import importlib
import sys

import pytest
import torch

from mmpretrain.registry import MODELS
from topgap_mm.models.utils import (CAMAvgPool, CAMMaxPool, top_gap_pool,
                                    topgap_pool)
from topgap_mm.utils import markdown_table

CAM = torch.randn(2, 3, 5, 4, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize('old,new', [('GlobalAvgPool', CAMAvgPool),
                                     ('GlobalMaxPool', CAMMaxPool)])
def test_former_pooling_names_build_the_same_pooling(old, new):
    with pytest.warns(FutureWarning, match=new.__name__):
        pool = MODELS.build(dict(type=old))
    assert isinstance(pool, new)
    assert torch.equal(pool(CAM), new()(CAM))


def test_former_pool_function_name():
    with pytest.warns(FutureWarning, match='topgap_pool'):
        pooled = top_gap_pool(CAM, 3)
    assert torch.equal(pooled, topgap_pool(CAM, 3))


def test_former_apis_package_reexports_with_a_warning(monkeypatch):
    monkeypatch.delitem(sys.modules, 'topgap_mm.apis', raising=False)
    with pytest.warns(FutureWarning, match='topgap_mm.analysis'):
        apis = importlib.import_module('topgap_mm.apis')
    from topgap_mm.analysis import load_classifier
    from topgap_mm.utils import check_checkpoint
    assert apis.load_classifier is load_classifier
    assert apis.check_checkpoint is check_checkpoint


def test_markdown_table_refuses_ragged_rows_and_unknown_alignments():
    assert markdown_table(['a', 'b'], [[1, 2.5]], ['left', 'right']) == [
        '| a | b |', '|---|---:|', '| 1 | 2.5 |'
    ]
    with pytest.raises(ValueError, match='Row 1 has 1 cells'):
        markdown_table(['a', 'b'], [[1, 2], [3]])
    with pytest.raises(ValueError, match='`align`'):
        markdown_table(['a', 'b'], [], ['left'])
    with pytest.raises(ValueError, match='`align`'):
        markdown_table(['a'], [], ['middle'])


def test_former_bpda_context_name_swaps_the_pooling_back():
    from topgap_mm.evaluation.robustness import (smooth_top_gap_backward,
                                                 smooth_topgap_backward)
    from topgap_mm.models.heads import TopGAPClsHead
    model = torch.nn.Module()
    model.head = TopGAPClsHead(num_classes=3, in_channels=8, k=4)
    pool = model.head.pool
    with pytest.warns(FutureWarning, match='smooth_topgap_backward'):
        with smooth_top_gap_backward(model):
            assert model.head.pool is not pool
    assert model.head.pool is pool
    assert smooth_topgap_backward is not smooth_top_gap_backward
