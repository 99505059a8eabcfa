"""One map per batch, method and target, shared by every metric that reads
it: the post-hoc method runs once, and the metrics' numbers do not change."""
import torch
from test_interpretability_metrics import HandModel, make_batch

from topgap_mm.cam import CAM_METHODS
from topgap_mm.evaluation.batch_cams import batch_cams
from topgap_mm.evaluation.map_cache import MAP_CACHE
from topgap_mm.evaluation.metrics import (AttributionLocalisation, CAMIoU,
                                          CAMSparsity)


def counting_method(monkeypatch):
    """A CAM method returning the maps stored in the samples, and the number
    of images each call received."""
    calls = []

    def given(model, inputs, target, data_samples):
        calls.append(len(inputs))
        return torch.stack([s.given_cam for s in data_samples])

    monkeypatch.setitem(CAM_METHODS, 'counted', given)
    return calls


def batches():
    torch.manual_seed(0)
    out = []
    for _ in range(3):
        cams = torch.rand(4, 8, 8)
        masks = (torch.rand(4, 8, 8) > 0.6).to(torch.uint8)
        masks[:, 0, 0] = 1
        out.append(make_batch(cams, masks))
    return out


def evaluate(metrics, model, data):
    for metric in metrics:
        metric.attach_model(model)
    for data_batch, samples in data:
        for metric in metrics:
            metric.process(data_batch, samples)
    return [m.evaluate(sum(len(s) for _, s in data)) for m in metrics]


def metrics():
    return [
        CAMIoU(method='counted', max_samples=12),
        CAMSparsity(method='counted', max_samples=6),
        AttributionLocalisation(method='counted'),
    ]


def test_three_metrics_compute_each_batch_s_maps_once(monkeypatch):
    calls = counting_method(monkeypatch)
    model, data = HandModel(), batches()
    shared = evaluate(metrics(), model, data)
    # One call per batch, for the most images any metric takes.
    assert calls == [4, 4, 4]
    # The same numbers as metrics that each compute their own maps.
    alone = []
    for metric in metrics():
        MAP_CACHE.clear()
        alone += evaluate([metric], model, data)
    assert shared == alone


def test_a_metric_cannot_change_what_the_next_one_reads(monkeypatch):
    counting_method(monkeypatch)
    model, [(data_batch, samples)] = HandModel(), batches()[:1]
    first = batch_cams(model, data_batch, 4, 'counted', 'gt')
    first.zero_()
    again = batch_cams(model, data_batch, 4, 'counted', 'gt')
    assert torch.equal(again, torch.stack([s.given_cam for s in samples]))


def test_another_batch_target_or_model_computes_anew(monkeypatch):
    calls = counting_method(monkeypatch)
    model, data = HandModel(), batches()
    batch_cams(model, data[0][0], 2, 'counted', 'gt')
    batch_cams(model, data[0][0], 4, 'counted', 'gt')  # more images
    batch_cams(model, data[0][0], 3, 'counted', 'pred')  # another target
    batch_cams(HandModel(), data[0][0], 3, 'counted', 'gt')  # another model
    batch_cams(model, data[1][0], 3, 'counted', 'gt')  # another batch
    with torch.no_grad():  # the same model with changed weights
        next(model.parameters()).mul_(2)
    batch_cams(model, data[1][0], 3, 'counted', 'gt')
    assert calls == [2, 4, 3, 3, 3, 3]
