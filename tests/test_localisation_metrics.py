"""Box localisation, mask attribution scores, deletion / insertion and the
parameter-randomisation check, each against a reference implementation:
wsolevaluation's box code (ported below), Quantus, a per-image loop and
scipy; plus known answers and bad input."""
import copy
import json
import math

import cv2
import numpy as np
import pytest
import torch
from scipy import stats
from test_interpretability_metrics import (HandModel, given_cams,
                                           make_batch, run_metric)

from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from topgap_mm.cam import CAM_METHODS
from topgap_mm.evaluation.metrics import (AttributionLocalisation,
                                          CAMBoxAccuracy, DeletionInsertion,
                                          ParameterRandomisation)
from topgap_mm.evaluation.metrics.cam_box_accuracy import \
    DEFAULT_BOX_THRESHOLDS
from topgap_mm.evaluation.metrics.deletion_insertion import (
    deletion_insertion_curves, fill_images)
from topgap_mm.evaluation.metrics.parameter_randomisation import (
    randomisation_levels, spearman)
from topgap_mm.models import PixelSpaceModel


# Small forward passes: one torch thread (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture
def given_method(monkeypatch):
    monkeypatch.setitem(CAM_METHODS, 'given', given_cams)
    return 'given'


# --- wsolevaluation's box evaluation, ported from clovaai/wsolevaluation
# (evaluation.py, MIT licence) with its `np.float` checks dropped (numpy >=
# 1.24 has no `np.float`) and its metadata replaced by boxes in memory.
def ref_calculate_multiple_iou(box_a, box_b):
    num_a = box_a.shape[0]
    num_b = box_b.shape[0]
    box_a = np.tile(box_a, num_b)
    box_a = np.expand_dims(box_a, axis=1).reshape((num_a, num_b, -1))
    box_b = np.tile(box_b, num_a)
    box_b = np.expand_dims(box_b, axis=1).reshape((num_b, num_a, -1))
    box_b = np.transpose(box_b, (1, 0, 2))
    min_x = np.maximum(box_a[:, :, 0], box_b[:, :, 0])
    min_y = np.maximum(box_a[:, :, 1], box_b[:, :, 1])
    max_x = np.minimum(box_a[:, :, 2], box_b[:, :, 2])
    max_y = np.minimum(box_a[:, :, 3], box_b[:, :, 3])
    area_intersect = (np.maximum(0, max_x - min_x + 1) *
                      np.maximum(0, max_y - min_y + 1))
    area_a = ((box_a[:, :, 2] - box_a[:, :, 0] + 1) *
              (box_a[:, :, 3] - box_a[:, :, 1] + 1))
    area_b = ((box_b[:, :, 2] - box_b[:, :, 0] + 1) *
              (box_b[:, :, 3] - box_b[:, :, 1] + 1))
    denominator = area_a + area_b - area_intersect
    degenerate_indices = np.where(denominator <= 0)
    denominator[degenerate_indices] = 1
    ious = area_intersect / denominator
    ious[degenerate_indices] = 0
    return ious


def ref_compute_bboxes_from_scoremaps(scoremap, scoremap_threshold_list,
                                      multi_contour_eval=False):
    height, width = scoremap.shape
    scoremap_image = np.expand_dims((scoremap * 255).astype(np.uint8), 2)

    def scoremap2bbox(threshold):
        _, thr_gray_heatmap = cv2.threshold(
            src=scoremap_image,
            thresh=int(threshold * np.max(scoremap_image)),
            maxval=255,
            type=cv2.THRESH_BINARY)
        contours = cv2.findContours(
            image=thr_gray_heatmap,
            mode=cv2.RETR_TREE,
            method=cv2.CHAIN_APPROX_SIMPLE)[0]
        if len(contours) == 0:
            return np.asarray([[0, 0, 0, 0]]), 1
        if not multi_contour_eval:
            contours = [max(contours, key=cv2.contourArea)]
        estimated_boxes = []
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            x0, y0, x1, y1 = x, y, x + w, y + h
            x1 = min(x1, width - 1)
            y1 = min(y1, height - 1)
            estimated_boxes.append([x0, y0, x1, y1])
        return np.asarray(estimated_boxes), len(contours)

    estimated_boxes_at_each_thr = []
    number_of_box_list = []
    for threshold in scoremap_threshold_list:
        boxes, number_of_box = scoremap2bbox(threshold)
        estimated_boxes_at_each_thr.append(boxes)
        number_of_box_list.append(number_of_box)
    return estimated_boxes_at_each_thr, number_of_box_list


def ref_box_accuracy(scoremaps, gt_boxes, cam_threshold_list,
                     iou_threshold_list=(30, 50, 70)):
    """BoxEvaluator.accumulate and .compute (multi-contour, MaxBoxAccV2),
    returning the accuracy per IoU level and CAM threshold as well."""
    num_correct = {
        t: np.zeros(len(cam_threshold_list))
        for t in iou_threshold_list
    }
    for scoremap, boxes in zip(scoremaps, gt_boxes):
        boxes_at_thresholds, number_of_box_list = \
            ref_compute_bboxes_from_scoremaps(scoremap, cam_threshold_list,
                                              multi_contour_eval=True)
        boxes_at_thresholds = np.concatenate(boxes_at_thresholds, axis=0)
        multiple_iou = ref_calculate_multiple_iou(
            np.array(boxes_at_thresholds), np.array(boxes))
        idx = 0
        sliced_multiple_iou = []
        for nr_box in number_of_box_list:
            sliced_multiple_iou.append(
                max(multiple_iou.max(1)[idx:idx + nr_box]))
            idx += nr_box
        for t in iou_threshold_list:
            correct = np.where(
                np.asarray(sliced_multiple_iou) >= (t / 100))[0]
            num_correct[t][correct] += 1
    accuracy = {
        t: num_correct[t] * 100. / float(len(scoremaps))
        for t in iou_threshold_list
    }
    return accuracy, float(np.average([a.max() for a in accuracy.values()]))


def blob_maps(num, height, width, seed):
    """Smooth maps in [0, 1] with several peaks, rings and flat zeros: many
    contours, holes and ties."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[:height, :width]
    maps = []
    for _ in range(num):
        m = np.zeros((height, width))
        for _ in range(rng.integers(1, 5)):
            cy, cx = rng.uniform(0, height), rng.uniform(0, width)
            sigma = rng.uniform(2, 10)
            d2 = (ys - cy)**2 + (xs - cx)**2
            if rng.random() < 0.3:
                d2 = (np.sqrt(d2) - sigma)**2  # a ring, which has a hole
            m += rng.uniform(0.3, 1) * np.exp(-d2 / (2 * sigma**2))
        m = np.maximum(m - rng.uniform(0, 0.3), 0)
        maps.append((m / m.max()).astype(np.float32))
    return maps


def random_boxes(num, height, width, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(num):
        boxes = []
        for _ in range(rng.integers(1, 3)):
            x0, x1 = sorted(rng.uniform(0, width, 2))
            y0, y1 = sorted(rng.uniform(0, height, 2))
            boxes.append([x0, y0, x1, y1])
        out.append(np.array(boxes, dtype=np.float32))
    return out


def box_batch(cams, boxes, preds=None, label=0):
    data_batch, samples = make_batch(cams, label=label)
    for i, sample in enumerate(samples):
        sample.set_field(torch.as_tensor(boxes[i]), 'gt_object_boxes')
        if preds is not None:
            sample.set_pred_label(preds[i])
    return data_batch, samples


def test_box_accuracy_equals_wsolevaluation(given_method, tmp_path):
    height, width = 37, 53
    cams = blob_maps(12, height, width, seed=0)
    boxes = random_boxes(12, height, width, seed=1)
    metric = CAMBoxAccuracy(
        method=given_method, save_curve=str(tmp_path / 'curve.json'))
    metrics = run_metric(metric, HandModel(),
                         [box_batch(cams[:5], boxes[:5]),
                          box_batch(cams[5:], boxes[5:])])
    thresholds = list(np.arange(0, 1, 0.001))
    # wsolevaluation's GT boxes are integers: it truncates resized boxes.
    ref_boxes = [np.trunc(b).astype(int) for b in boxes]
    ref_acc, ref_v2 = ref_box_accuracy(
        [c.astype(np.float64) for c in cams], ref_boxes, thresholds)
    assert metrics['box/maxboxacc_v2'] == pytest.approx(ref_v2, abs=1e-12)
    for level in (30, 50, 70):
        assert metrics[f'box/maxboxacc@{level}'] == pytest.approx(
            ref_acc[level].max(), abs=1e-12)
    curve = json.load(open(tmp_path / 'curve.json'))
    for level in (30, 50, 70):
        np.testing.assert_allclose(curve['box_accuracy'][str(level)],
                                   ref_acc[level], atol=1e-12)
    # The examples must exercise the threshold: accuracy varies with it.
    assert np.ptp(ref_acc[50]) > 10


def test_box_map_on_the_box_scores_100_and_off_it_0(given_method):
    inside = np.zeros((20, 30), dtype=np.float32)
    inside[5:12, 8:20] = 1.0
    outside = np.zeros((20, 30), dtype=np.float32)
    outside[14:19, 0:5] = 1.0
    box = [np.array([[8., 5., 20., 12.]])]
    hit = run_metric(CAMBoxAccuracy(method=given_method), HandModel(),
                     [box_batch([inside], box)])
    miss = run_metric(CAMBoxAccuracy(method=given_method), HandModel(),
                      [box_batch([outside], box)])
    assert hit['box/maxboxacc_v2'] == 100.0
    assert miss['box/maxboxacc_v2'] == 0.0


def framed_box(box_value, frame_value, peak=None):
    """A 20x20 map: the box (4, 4, 10, 10) at ``box_value`` inside a
    touching frame at ``frame_value``; below ``frame_value`` the two merge
    into one box of IoU 49/121 < 0.5."""
    cam = np.zeros((20, 20), dtype=np.float32)
    cam[2:12, 2:12] = frame_value
    cam[4:10, 4:10] = box_value
    if peak is not None:
        cam[peak] = 1.0
    return cam


def test_gt_known_and_top1_loc_use_the_held_out_threshold(
        given_method, tmp_path):
    path = str(tmp_path / 'val.json')
    box = np.array([[4., 4., 10., 10.]])
    # Validation: the box alone from level int(t * 255) = 127 (t = 0.499).
    val = framed_box(1.0, 0.5)
    run_metric(
        CAMBoxAccuracy(method=given_method, save_curve=path), HandModel(),
        [box_batch([val], [box])])
    assert json.load(open(path))['best_threshold'] == pytest.approx(0.499)
    # Test: images 0 and 1 localised at 0.499, image 1 misclassified; image
    # 2 only at levels 25-75 (box at 0.3, frame at 0.1, a peak elsewhere).
    low = framed_box(0.3, 0.1, peak=(17, 17))
    metrics = run_metric(
        CAMBoxAccuracy(method=given_method, threshold_from=path),
        HandModel(), [box_batch([val, val, low], [box] * 3, preds=[0, 3, 0])])
    assert metrics['box/best_val_thr'] == pytest.approx(0.499)
    assert metrics['box/gt_known_loc'] == pytest.approx(200 / 3)
    assert metrics['box/top1_loc'] == pytest.approx(100 / 3)
    # No one threshold localises all three: the oracle is 2/3 as well, but
    # at another threshold for image 2's sake it would be 1/3 + ...
    assert metrics['box/maxboxacc@50'] == pytest.approx(200 / 3)
    lower = run_metric(
        CAMBoxAccuracy(method=given_method, threshold=0.2), HandModel(),
        [box_batch([val, val, low], [box] * 3, preds=[0, 3, 0])])
    assert lower['box/gt_known_loc'] == pytest.approx(100 / 3)


def test_box_metric_bad_input_is_named(given_method):
    metric = CAMBoxAccuracy(method=given_method)
    metric.attach_model(HandModel())
    data_batch, samples = make_batch([np.zeros((6, 6))])
    with pytest.raises(ValueError, match='gt_object_boxes') as info:
        metric.process(data_batch, samples)
    assert 'bounding_boxes.txt' in str(info.value)
    data_batch, samples = box_batch([np.zeros((6, 6))],
                                    [np.array([[1., 1., 7., 3.]])])
    with pytest.raises(ValueError, match='outside the image'):
        metric.process(data_batch, samples)
    with pytest.raises(ValueError, match='loc_iou'):
        CAMBoxAccuracy(loc_iou=60)
    with pytest.raises(ValueError, match='thresholds'):
        CAMBoxAccuracy(thresholds=[0.5, 1.0])


def test_default_box_grid_is_wsolevaluations():
    assert np.array_equal(DEFAULT_BOX_THRESHOLDS, np.arange(0, 1, 0.001))


# --- pointing game, relevance mass and rank against Quantus.


def quantus_scores(cams, masks):
    import quantus
    a = cams[:, None].astype(np.float32)
    s = masks[:, None].astype(np.float32)
    x = np.zeros((len(cams), 3) + cams.shape[1:], dtype=np.float32)
    y = np.zeros(len(cams), dtype=int)
    out = {}
    for key, cls in (('pointing_game', quantus.PointingGame),
                     ('relevance_mass', quantus.RelevanceMassAccuracy),
                     ('relevance_rank', quantus.RelevanceRankAccuracy)):
        metric = cls(abs=False, normalise=False, disable_warnings=True)
        out[key] = np.asarray(
            metric(model=None, x_batch=x, y_batch=y, a_batch=a, s_batch=s),
            dtype=np.float64)
    return out


def test_attribution_scores_equal_quantus_on_maps_without_ties():
    rng = np.random.default_rng(0)
    cams = rng.random((16, 12, 14))
    masks = (rng.random((16, 12, 14)) < 0.3).astype(np.uint8)
    # Some maps peak on the object, so the pointing game is not all misses.
    for i in range(0, 16, 2):
        ys, xs = np.nonzero(masks[i])
        cams[i, ys[0], xs[0]] = 2.0
    cams /= cams.max(axis=(1, 2), keepdims=True)
    ours = AttributionLocalisation.calculate(
        torch.as_tensor(cams), torch.as_tensor(masks))
    ref = quantus_scores(cams, masks)
    for key in ref:
        np.testing.assert_allclose(ours[key].numpy(), ref[key], atol=1e-6)
    assert 0 < ours['pointing_game'].mean() < 1


def test_attribution_known_answers_ties_and_ignore():
    mask = torch.zeros(1, 4, 5, dtype=torch.uint8)
    mask[0, 1:3, 1:4] = 1  # 6 of 20 pixels
    on_object = (mask == 1).double()
    scores = AttributionLocalisation.calculate(on_object, mask)
    assert [float(scores[k]) for k in scores] == [1.0, 1.0, 1.0]
    scores = AttributionLocalisation.calculate(1 - on_object, mask)
    assert [float(scores[k]) for k in scores] == [0.0, 0.0, 0.0]
    # A constant map: ties everywhere; each score is the object's share.
    flat = torch.full((1, 4, 5), 0.5, dtype=torch.float64)
    scores = AttributionLocalisation.calculate(flat, mask)
    for key in scores:
        assert float(scores[key]) == pytest.approx(6 / 20)
    # Two maxima, one on the object: Quantus counts a hit (1.0), here the
    # expected hit of a random choice among them (0.5).
    two = torch.zeros(1, 4, 5, dtype=torch.float64)
    two[0, 1, 1] = two[0, 0, 0] = 1.0
    assert float(AttributionLocalisation.calculate(
        two, mask)['pointing_game']) == 0.5
    assert quantus_scores(two.numpy(), mask.numpy())['pointing_game'][0] == 1
    # Ignore pixels are no candidates: the maximum on an ignored pixel is
    # not pointed at; the next highest (on the object) is.
    cam = 0.5 * on_object.clone()
    mask_ignore = mask.clone()
    mask_ignore[0, 0, 0] = 255
    cam[0, 0, 0] = 1.0
    scores = AttributionLocalisation.calculate(cam, mask_ignore)
    assert float(scores['pointing_game']) == 1.0
    assert float(scores['relevance_mass']) == 1.0
    # Tolerance: a peak 2 px left of the object is a hit with tolerance 2.
    cam = torch.zeros(1, 4, 5, dtype=torch.float64)
    cam[0, 1, 0] = 1.0
    mask2 = torch.zeros(1, 4, 5, dtype=torch.uint8)
    mask2[0, 1, 2:] = 1
    assert float(AttributionLocalisation.calculate(
        cam, mask2)['pointing_game']) == 0.0
    assert float(AttributionLocalisation.calculate(
        cam, mask2, tolerance=2)['pointing_game']) == 1.0
    # Rank with a tie at the K-th value: K=6, 4 pixels above, the tie has
    # 4 pixels of which 2 on the object: 2 hits + 2 * 2/4.
    cam = torch.zeros(1, 4, 5, dtype=torch.float64)
    cam[0, 1, 1:4] = 1.0   # object
    cam[0, 2, 1] = 1.0     # object
    cam[0, 2, 2:4] = 0.5   # object, tied
    cam[0, 0, 0:2] = 0.5   # background, tied
    rank = AttributionLocalisation.calculate(cam, mask)['relevance_rank']
    assert float(rank) == pytest.approx((4 + 2 * 2 / 4) / 6)


def test_attribution_metric_through_a_batch(given_method):
    mask = np.zeros((4, 5), dtype=np.uint8)
    mask[1:3, 1:4] = 1
    good = mask.astype(np.float32)
    bad = 1 - good
    metrics = run_metric(
        AttributionLocalisation(method=given_method, max_samples=3),
        HandModel(), [make_batch([good, bad], [mask, mask]),
                      make_batch([good, bad], [mask, mask])])
    # The cap keeps good, bad, good.
    assert metrics == {
        'attribution/pointing_game': pytest.approx(200 / 3),
        'attribution/relevance_mass': pytest.approx(200 / 3),
        'attribution/relevance_rank': pytest.approx(200 / 3),
    }
    with pytest.raises(ValueError, match='tolerance'):
        AttributionLocalisation(tolerance=-1)


# --- deletion / insertion against a per-image loop.


def tiny_classifier(num_classes=4):
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            data_preprocessor=dict(
                type='ClsDataPreprocessor',
                num_classes=num_classes,
                mean=[120., 110., 100.],
                std=[60., 50., 40.],
                to_rgb=True),
            backbone=dict(
                type='ResNet_CIFAR', depth=18, out_indices=(3, )),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=num_classes,
                in_channels=512)))
    torch.manual_seed(0)
    model.init_weights()
    return model.eval()


def loop_curves(model, image, cam, cls, steps, fill):
    """One image, one step at a time, numpy order and trapezoids."""
    height, width = cam.shape
    order = np.argsort(-cam.reshape(-1), kind='stable')
    per_step = math.ceil(height * width / steps)
    counts = [min(i * per_step, height * width) for i in range(steps + 1)]
    out = {}
    for name in ('deletion', 'insertion'):
        probs = []
        for count in counts:
            chosen = np.zeros(height * width, dtype=bool)
            chosen[order[:count]] = True
            chosen = torch.as_tensor(chosen.reshape(height, width))
            if name == 'deletion':
                img = torch.where(chosen, fill['deletion'], image)
            else:
                img = torch.where(chosen, image, fill['insertion'])
            with torch.no_grad():
                p = model(img[None]).softmax(1)[0, cls]
            probs.append(float(p))
        out[name] = np.trapezoid(
            probs, np.array(counts) / (height * width))
    return out


def test_deletion_insertion_equal_a_per_image_loop():
    model = PixelSpaceModel(tiny_classifier())
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(3, 3, 10, 12, generator=gen)
    cams = torch.rand(3, 10, 12, generator=gen)
    cams[1] = (cams[1] > 0.7).float()  # many ties: raster order decides
    classes = torch.tensor([0, 2, 3])
    for deletion_fill in ('black', 'mean'):
        curves = deletion_insertion_curves(
            model, images, cams, classes, steps=7,
            deletion_fill=deletion_fill, insertion_start='blur',
            batch_size=5)
        fill = dict(deletion=fill_images(images, deletion_fill),
                    insertion=fill_images(images, 'blur'))
        from topgap_mm.evaluation.metrics.deletion_insertion import \
            area_under
        for name in ('deletion', 'insertion'):
            ours = area_under(curves[name], curves['fractions'])
            for i in range(3):
                ref = loop_curves(model, images[i], cams[i].numpy(),
                                  int(classes[i]), 7, {
                                      k: v[i] for k, v in fill.items()
                                  })
                assert ours[i] == pytest.approx(ref[name], abs=1e-6)
    # Deletion ends on the fill, insertion on the image itself.
    with torch.no_grad():
        clean = model(images).softmax(1).gather(1, classes[:, None])[:, 0]
    assert torch.allclose(curves['insertion'][:, -1], clean, atol=1e-6)
    assert torch.allclose(curves['deletion'][:, 0], clean, atol=1e-6)


def test_deletion_insertion_metric_keys_and_arguments():
    model = tiny_classifier()
    images = torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8)
    samples = [DataSample().set_gt_label(i) for i in range(2)]
    data_batch = dict(inputs=list(images), data_samples=samples)
    metric = DeletionInsertion(method='center_gaussian', steps=4)
    metric.attach_model(model)
    metric.process(data_batch, samples)
    metrics = metric.evaluate(2)
    assert set(metrics) == {
        'faithfulness/deletion_auc', 'faithfulness/insertion_auc',
        'faithfulness/insertion_minus_deletion'
    }
    assert all(0 <= metrics[k] <= 1 for k in list(metrics)[:2])
    for bad in (dict(steps=0), dict(target='x'), dict(deletion_fill='grey'),
                dict(batch_size=0)):
        with pytest.raises(ValueError, match=list(bad)[0]):
            DeletionInsertion(**bad)


# --- parameter randomisation.


def test_spearman_equals_scipy_with_ties():
    gen = torch.Generator().manual_seed(0)
    a = torch.randint(0, 5, (6, 40), generator=gen).double()
    b = a + torch.randint(0, 3, (6, 40), generator=gen).double()
    b[3] = torch.rand(40, generator=gen)
    ours = spearman(a, b)
    for i in range(6):
        ref = stats.spearmanr(a[i].numpy(), b[i].numpy()).statistic
        assert float(ours[i]) == pytest.approx(ref, abs=1e-12)
    flat = torch.zeros(2, 40, dtype=torch.float64)
    assert spearman(flat, flat).tolist() == [1.0, 1.0]
    assert spearman(flat, a[:2]).tolist() == [0.0, 0.0]


def test_randomisation_levels_and_cascade_leave_the_model_alone():
    model = tiny_classifier()
    levels = randomisation_levels(model)
    assert levels == [
        'head', 'backbone.layer4', 'backbone.layer3', 'backbone.layer2',
        'backbone.layer1', 'backbone.bn1', 'backbone.conv1'
    ]
    before = copy.deepcopy(model.state_dict())
    metric = ParameterRandomisation(method='gradcam', levels=levels[:3])
    metric.attach_model(model)
    cascade = metric.randomised_models()
    assert [name for name, _ in cascade] == levels[:3]
    head = model.head.fc.weight
    layer3 = model.backbone.layer3[0].conv1.weight
    for _, randomised in cascade:
        assert not torch.equal(randomised.head.fc.weight, head)
    # Cumulative: layer3 is randomised only at the third level.
    assert torch.equal(cascade[1][1].backbone.layer3[0].conv1.weight, layer3)
    assert not torch.equal(cascade[2][1].backbone.layer3[0].conv1.weight,
                           layer3)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
    with pytest.raises(ValueError, match='no module'):
        bad = ParameterRandomisation(levels=['backbone.nope'])
        bad.attach_model(model)
        bad.randomised_models()


def test_randomisation_separates_a_map_of_the_model_from_one_of_no_image():
    model = tiny_classifier()
    gen = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8,
                           generator=gen)
    samples = [DataSample().set_gt_label(i % 4) for i in range(4)]
    data_batch = dict(inputs=list(images), data_samples=samples)
    results = {}
    for method in ('center_gaussian', 'gradcam'):
        metric = ParameterRandomisation(method=method)
        metric.attach_model(model)
        metric.process(data_batch, samples)
        results[method] = metric.evaluate(4)
    gauss, grad = results['center_gaussian'], results['gradcam']
    assert gauss['mprt/spearman_top'] == 1.0
    assert gauss['mprt/spearman_all'] == 1.0
    assert grad['mprt/spearman_all'] < 0.9
    assert 'mprt/spearman@backbone.layer4' in grad
