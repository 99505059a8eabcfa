"""GridPointingGame against B-cos' own localisation analysis (ported below):
the score, the grid layout and the draws; the uniform floor, a perfect map,
determinism, bad input, and a run through a small classifier.

The functions prefixed ``ref_`` are ported from B-cos-v2
(https://github.com/B-cos/B-cos-v2, commit 9a849c9a,
``interpretability/analyses/localisation.py``), licensed under the Apache
License 2.0: ``LocalisationAnalyser.get_sorted_indices``,
``make_multi_image`` and the score of ``analysis``, with the analyser
state, dataset and explainer replaced by arguments; the computation is
unchanged.
"""
import math
import re
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from test_interpretability_metrics import HandModel

from mmpretrain.registry import DATASETS, METRICS, MODELS
from mmpretrain.structures import DataSample
from topgap_mm.cam import CAM_METHODS
from topgap_mm.evaluation.metrics import GridPointingGame
from topgap_mm.evaluation.metrics.grid_pointing_game import (grid_blocks,
                                                             make_grid)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
STANDARD_CONFIG = osp.join(ROOT, 'configs/standard/resnet18_fashionbg.py')


# Small forward passes: one torch thread (tests/conftest.py).
pytestmark = pytest.mark.usefixtures('one_thread')


# --- B-cos-v2's localisation analysis, ported (Apache-2.0, see above).
def ref_get_sorted_indices(sorted_confs, n_imgs, conf_thresh):
    idcs = []
    classes = np.array([k for k in sorted_confs.keys()])
    class_indexer = {k: 0 for k in classes}

    def get_conf_mask_v(_c_idx: int) -> bool:
        return (torch.tensor(
            sorted_confs[_c_idx][class_indexer[_c_idx]][1]).sigmoid().item()
                > conf_thresh)

    mask = np.array([
        False if len(sorted_confs[k]) == 0 else get_conf_mask_v(k)
        for k in classes
    ])
    np.random.seed(42)
    while mask.sum() > n_imgs:
        sample = np.random.choice(classes[mask], size=n_imgs, replace=False)
        for c_idx in sample:
            img_idx, conf = sorted_confs[c_idx][class_indexer[c_idx]]
            class_indexer[c_idx] += 1
            mask[c_idx] = (
                get_conf_mask_v(c_idx)
                if class_indexer[c_idx] < len(sorted_confs[c_idx]) else False)
            idcs.append(img_idx)
    return idcs


def ref_make_multi_image(n_imgs, imgs):
    img = torch.cat([i[None] for i in imgs], dim=0)
    img = (
        img.view(-1, int(np.sqrt(n_imgs)), int(np.sqrt(n_imgs)),
                 *img.shape[-3:]).permute(0, 3, 2, 4, 1, 5).reshape(
                     -1,
                     img.shape[1],
                     img.shape[2] * int(np.sqrt(n_imgs)),
                     img.shape[3] * int(np.sqrt(n_imgs)),
                 ))
    return img


def ref_score(attributions, single_shape, smooth):
    """One grid's scores; ``attributions`` (n_imgs, 1, H, W), row k the
    attribution for the class of image k."""
    if smooth:
        attributions = F.avg_pool2d(
            attributions, smooth, stride=1, padding=(smooth - 1) // 2)
    attributions = attributions.clamp(min=0)
    with torch.no_grad():
        contribs = (
            F.avg_pool2d(attributions, single_shape,
                         stride=single_shape).permute(0, 1, 3, 2).reshape(
                             attributions.shape[0], -1))
        total = contribs.sum(1, keepdim=True)
    contribs = (
        torch.where(total * contribs > 0, contribs / total,
                    torch.zeros_like(contribs)).detach().cpu().numpy())
    return [contrib[idx] for idx, contrib in enumerate(contribs)]


# --- maps the score is compared on
def structured_maps(grid_size, cell, generator):
    """Maps a localisation score must get right: all in the own cell, all
    in another, a blob across cell borders, a constant, zeros, a signed
    map whose negative part lies in the own cell, a single pixel."""
    cells, size = grid_size**2, grid_size * cell
    maps = []
    for k in range(cells):
        row, col = k % grid_size, k // grid_size
        own = torch.zeros(size, size)
        own[row * cell:(row + 1) * cell, col * cell:(col + 1) * cell] = 1
        other = torch.roll(own, cell, dims=1)
        y, x = torch.meshgrid(
            torch.arange(size), torch.arange(size), indexing='ij')
        blob = torch.exp(-((y - (row + 1) * cell)**2 +
                           (x - (col + 0.5) * cell)**2) / (2 * cell**2))
        signed = torch.randn(size, size, generator=generator) - 2 * own
        pixel = torch.zeros(size, size)
        pixel[row * cell, col * cell + cell - 1] = 3
        maps += [
            own, other, blob,
            torch.ones(size, size),
            torch.zeros(size, size), signed, pixel
        ]
    # Grids of `cells` maps, each map paired with the cell of its index.
    maps = torch.stack(maps).view(cells, -1, size, size).transpose(0, 1)
    return maps.contiguous()


def reference_and_ours(maps, grid_size, smooth):
    cell = maps.shape[-1] // grid_size
    ref = np.array([ref_score(grid[:, None], cell, smooth) for grid in maps])
    ours = GridPointingGame.calculate(maps, grid_size, smooth).numpy()
    return ref, ours


@pytest.mark.parametrize('grid_size', [2, 3])
@pytest.mark.parametrize('smooth', [1, 5])
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_score_equals_the_reference(grid_size, smooth, dtype):
    generator = torch.Generator().manual_seed(grid_size * 10 + smooth)
    cells, cell = grid_size**2, 12
    size = grid_size * cell
    random_maps = [
        torch.randn(20, cells, size, size, generator=generator),
        torch.rand(20, cells, size, size, generator=generator),
        # Sparse: most cells without positive mass.
        torch.randn(20, cells, size, size, generator=generator) - 2.5,
    ]
    for maps in random_maps + [structured_maps(grid_size, cell, generator)]:
        maps = maps.to(dtype)
        ref, ours = reference_and_ours(maps, grid_size, smooth)
        # float64 maps agree to rounding; float32 ones by the reference's
        # float32 sums, which are ours in float64.
        tol = 1e-12 if dtype == torch.float64 else 1e-6
        np.testing.assert_allclose(ours, ref, rtol=0, atol=tol)
        # Cells with no positive mass score 0 in both.
        assert ((ours == 0) == (ref == 0)).all()


def test_structured_scores_by_hand():
    maps = structured_maps(2, 4, torch.Generator().manual_seed(0))
    scores = GridPointingGame.calculate(maps, 2)
    own, other, _, constant, zeros, signed, pixel = scores
    assert (own == 1).all() and (other == 0).all() and (pixel == 1).all()
    assert (constant == 0.25).all() and (zeros == 0).all()
    # The own cell's mass is negative there, so clamped away.
    assert (signed < 0.2).all()


def test_grid_layout_equals_the_reference():
    for grid_size in (2, 3):
        images = torch.randint(
            0, 256, (grid_size**2, 3, 5, 7), dtype=torch.uint8)
        torch.testing.assert_close(
            make_grid(images, grid_size),
            ref_make_multi_image(grid_size**2, list(images))[0],
            rtol=0,
            atol=0)


def random_confidences(num_classes, per_class, rng):
    """Per class, (image index, confidence) most confident first, as the
    reference's sorted confidences; some classes empty."""
    confs, index = {}, 0
    for cls in range(num_classes):
        size = 0 if cls == 1 else int(rng.integers(1, per_class))
        # Mostly confident, as a trained model's correct predictions.
        values = sorted(0.999 * rng.beta(8, 1, size), reverse=True)
        confs[cls] = [(index + i, float(v)) for i, v in enumerate(values)]
        index += size
    return confs


@pytest.mark.parametrize('num_classes,grid_size', [(6, 2), (12, 3), (30, 3)])
@pytest.mark.parametrize('threshold', [0.0, 0.5, 0.9])
def test_draws_equal_the_reference(num_classes, grid_size, threshold):
    rng = np.random.default_rng(num_classes)
    confs = random_confidences(num_classes, 20, rng)
    # The reference reads logits and thresholds their sigmoid.
    logits = {
        c: [(i, math.log(p / (1 - p))) for i, p in v]
        for c, v in confs.items()
    }
    ref = ref_get_sorted_indices(logits, grid_size**2, threshold)
    ranked = [[i for i, p in confs[c] if p > threshold]
              for c in range(num_classes)]
    ours = grid_blocks(ranked, grid_size**2)
    flat = [i for block in ours for i in block]
    assert len(ref) > 0 and flat[:len(ref)] == ref
    # Ours goes on while exactly `cells` classes are left: at most one
    # class per round runs out, so a few more grids, never fewer.
    assert len(flat) >= len(ref)
    # A cap keeps the first grids.
    assert grid_blocks(ranked, grid_size**2, max_grids=2) == ours[:2]


def test_as_many_classes_as_cells_forms_grids():
    ranked = [[4 * i + c for i in range(3)] for c in range(4)]
    blocks = grid_blocks(ranked, 4)
    assert len(blocks) == 3
    for rank, block in enumerate(blocks):
        # Every class once per grid, in the order of confidence.
        assert sorted(block) == [4 * rank + c for c in range(4)]
    confs = {c: [(i, 5.0) for i in images] for c, images in enumerate(ranked)}
    assert ref_get_sorted_indices(confs, 4, 0.5) == []


@pytest.mark.parametrize('grid_size', [2, 3])
def test_uniform_map_scores_exactly_one_over_the_cells(grid_size):
    maps = torch.full((3, grid_size**2, 6 * grid_size, 6 * grid_size), 0.7)
    scores = GridPointingGame.calculate(maps, grid_size)
    assert (scores == 1 / grid_size**2).all()


# --- through process / evaluate
def coloured_batch(labels, size=8, start=0):
    """Images whose red channel is 10 * (class + 1) everywhere and green
    channel their index, and model outputs that classify them correctly
    with the confidence of :func:`confidence`."""
    inputs, outputs = [], []
    for offset, label in enumerate(labels):
        image = torch.zeros(3, size, size, dtype=torch.uint8)
        image[0] = 10 * (label + 1)
        image[1] = start + offset  # tells the images apart
        inputs.append(image)
        score = torch.full((4, ), (1 - confidence(start + offset)) / 3)
        score[label] = confidence(start + offset)
        outputs.append(
            DataSample().set_gt_label(label).set_pred_score(score).to_dict())
    samples = [DataSample().set_gt_label(label) for label in labels]
    return dict(inputs=inputs, data_samples=samples), outputs


LOW_CONFIDENCE = {2, 7}
LABELS = [0, 1, 2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 1, 0, 3, 2, 2, 3]


def confidence(index):
    """Distinct confidences in [0.55, 0.95], out of the images' order;
    0.4 (below the threshold) for the images in LOW_CONFIDENCE."""
    if index in LOW_CONFIDENCE:
        return 0.4
    return 0.55 + 0.4 * (7 * index % 18) / 17


def oracle_cams(model, inputs, target, data_samples):
    """1 where the image's red channel shows the target class (inputs are
    in [0, 1] from HandModel's preprocessor)."""
    red = (inputs[:, 0] * 255).round()
    wanted = 10 * (torch.as_tensor(target).view(-1, 1, 1) + 1)
    return (red == wanted).float()


@pytest.fixture
def oracle(monkeypatch):
    monkeypatch.setitem(CAM_METHODS, 'oracle', oracle_cams)
    return 'oracle'


def evaluate(metric, batch_size=4, labels=LABELS):
    metric.attach_model(HandModel())
    for start in range(0, len(labels), batch_size):
        metric.process(
            *coloured_batch(labels[start:start + batch_size], start=start))
    return metric.evaluate(len(labels))


def test_perfect_map_scores_100_and_uniform_the_floor(oracle):
    result = evaluate(GridPointingGame(method=oracle, grid_size=2))
    # Qualifying images per class: 3, 4, 4, 5 (two below the threshold).
    assert result == {
        'grid_pointing/score': 100.0,
        'grid_pointing/num_grids': 3
    }
    result = evaluate(GridPointingGame(method='uniform', grid_size=2))
    assert result['grid_pointing/score'] == 25.0


def recorded_grids(metric, batch_size=4):
    """The grids (images) and targets the metric scores."""
    seen = []

    def record(model, grids, targets):
        seen.extend(zip([g.clone() for g in grids], targets))
        return torch.ones(
            len(grids), metric.grid_size**2, *grids[0].shape[-2:])

    metric.grid_maps = record
    evaluate(metric, batch_size)
    return seen


def test_grids_are_deterministic_and_independent_of_batching():
    first = recorded_grids(GridPointingGame(grid_size=2))
    again = recorded_grids(GridPointingGame(grid_size=2), batch_size=5)
    assert len(first) == 3
    ranked = {
        c:
        sorted((i for i, label in enumerate(LABELS)
                if label == c and i not in LOW_CONFIDENCE),
               key=confidence,
               reverse=True)
        for c in range(4)
    }
    for rank, ((grid, targets), (grid2,
                                 targets2)) in enumerate(zip(first, again)):
        assert torch.equal(grid, grid2) and targets == targets2
        assert sorted(targets) == [0, 1, 2, 3]
        # Each target's image sits in its cell (row k % 2, column k // 2),
        # and is its class's rank-th most confident.
        for k, target in enumerate(targets):
            cell = grid[:, k % 2 * 8:(k % 2 + 1) * 8,
                        k // 2 * 8:(k // 2 + 1) * 8]
            assert (cell[0] == 10 * (target + 1)).all()
            assert (cell[1] == ranked[target][rank]).all()
    other_seed = recorded_grids(GridPointingGame(grid_size=2, seed=0))
    assert [t for _, t in other_seed] != [t for _, t in first]


def test_a_cap_on_grids_keeps_the_most_confident_images():
    full = recorded_grids(GridPointingGame(grid_size=2, max_grids=None))
    capped = recorded_grids(GridPointingGame(grid_size=2, max_grids=2))
    assert len(capped) == 2
    for (grid, targets), (grid2, targets2) in zip(full, capped):
        assert torch.equal(grid, grid2) and targets == targets2


@pytest.mark.parametrize('kwargs,name', [
    (dict(grid_size=1), 'grid_size'),
    (dict(grid_size=2.0), 'grid_size'),
    (dict(confidence_threshold=-0.1), 'confidence_threshold'),
    (dict(confidence_threshold=1.5), 'confidence_threshold'),
    (dict(confidence_threshold='0.5'), 'confidence_threshold'),
    (dict(max_grids=0), 'max_grids'),
    (dict(smooth=2), 'smooth'),
    (dict(smooth=0), 'smooth'),
    (dict(batch_size=0), 'batch_size'),
])
def test_bad_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=f'`{name}`'):
        GridPointingGame(**kwargs)


def test_more_cells_than_classes(oracle):
    with pytest.raises(ValueError, match=r'`grid_size`=3 needs 9 .* 4 '):
        evaluate(GridPointingGame(method=oracle, grid_size=3))


def test_no_grid_gives_no_score_and_says_how_many_images_qualified(
        oracle, monkeypatch):
    # The image of class 2 is below the threshold: a model this unsure is
    # a result (no score), not an error that would stop the evaluation.
    from mmengine.logging import MMLogger
    warnings = []
    monkeypatch.setattr(MMLogger.get_current_instance(), 'warning',
                        warnings.append)
    result = evaluate(
        GridPointingGame(method=oracle, grid_size=2),
        labels=[0, 1, 2, 0, 3, 1])
    assert result == {'grid_pointing/num_grids': 0}
    assert len(warnings) == 1 and re.search(
        r'found 5 such images of 6, in 3 classes '
        r'\(per class: \[2, 2, 0, 1\]\)', warnings[0])


def test_outputs_without_scores_are_rejected():
    metric = GridPointingGame()
    metric.attach_model(HandModel())
    data_batch, _ = coloured_batch([0, 1])
    with pytest.raises(ValueError, match='pred_score'):
        metric.process(data_batch, [DataSample().set_gt_label(0)] * 2)


# --- a real classifier: ResNet-18 with its linear head fitted to the images
@pytest.fixture(scope='module')
def fitted_classifier():
    """The embedded benchmark's standard ResNet-18 at 32x32, its head
    solved so that it classifies 16 images correctly and confidently."""
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(STANDARD_CONFIG).model).eval()
    dataset = DATASETS.build(
        dict(
            type='FashionBackgroundsDataset',
            split='val',
            img_size=32,
            num_samples=16,
            pipeline=[dict(type='PackInputs')]))
    batch = pseudo_collate([dataset[i] for i in range(len(dataset))])
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        feats = model.neck(model.backbone(data['inputs']))[-1]
    labels = torch.tensor([int(s.gt_label) for s in batch['data_samples']])
    design = torch.cat([feats, torch.ones(len(feats), 1)], 1).double()
    solution = torch.linalg.lstsq(
        design, 8 * F.one_hot(labels, 4).double(),
        driver='gelsd').solution.float()
    with torch.no_grad():
        model.head.fc.weight.copy_(solution[:-1].T)
        model.head.fc.bias.copy_(solution[-1])
    return model, batch


def keep_maps(metric, store):
    """Make ``metric`` append the maps it scores to ``store``."""
    compute = metric.grid_maps

    def grid_maps(*args):
        store.append(compute(*args))
        return store[-1]

    metric.grid_maps = grid_maps


def test_end_to_end_through_a_classifier(fitted_classifier):
    model, batch = fitted_classifier
    with torch.no_grad():
        outputs = [s.to_dict() for s in model.test_step(batch)]
    labels = [int(s.gt_label) for s in batch['data_samples']]
    assert [int(o['pred_label']) for o in outputs] == labels
    results, maps = {}, []
    for method in ('auto', 'uniform'):
        metric = METRICS.build(
            dict(
                type='GridPointingGame',
                method=method,
                grid_size=2,
                max_grids=3,
                prefix=method))
        metric.attach_model(model)
        keep_maps(metric, maps)
        for start in range(0, len(labels), 6):
            part = slice(start, start + 6)
            metric.process(
                dict(
                    inputs=batch['inputs'][part],
                    data_samples=batch['data_samples'][part]), outputs[part])
        results.update(metric.evaluate(len(labels)))
    assert results['auto/num_grids'] == results['uniform/num_grids'] == 3
    assert results['uniform/score'] == 25.0
    # GradCAM of the last 2x2 map of a 64x64 grid, one position per cell,
    # through a head fitted to single images: above the floor.
    assert results['auto/score'] > 30
    # The reference scores the same GradCAMs alike.
    gradcams = maps[0]
    assert gradcams.shape == (3, 4, 64, 64)
    ref = np.array([ref_score(grid[:, None], 32, 1) for grid in gradcams])
    assert results['auto/score'] == pytest.approx(ref.mean() * 100, abs=1e-4)


@pytest.mark.parametrize('method, positive', [('cam', True),
                                              ('gradcam', False),
                                              ('uniform', False)])
def test_a_signed_map_is_scored_by_its_positive_part(fitted_classifier,
                                                     monkeypatch, method,
                                                     positive):
    from topgap_mm.evaluation.metrics import grid_pointing_game
    real, seen = grid_pointing_game.compute_cams, []

    def recording(*args, **kwargs):
        seen.append(kwargs.get('positive_part', False))
        return real(*args, **kwargs)

    monkeypatch.setattr(grid_pointing_game, 'compute_cams', recording)
    model, batch = fitted_classifier
    with torch.no_grad():
        outputs = [s.to_dict() for s in model.test_step(batch)]
    metric = METRICS.build(
        dict(type='GridPointingGame', method=method, grid_size=2,
             max_grids=2))
    metric.attach_model(model)
    metric.process(batch, outputs)
    assert metric.evaluate(16)['grid_pointing/num_grids'] == 2
    assert seen and set(seen) == {positive}


@pytest.mark.parametrize('config, method', [
    (STANDARD_CONFIG, 'cam'),
    (osp.join(ROOT, 'configs/topgap/resnet18_fashionbg_k16.py'), 'topgap'),
])
def test_positive_part_drops_the_negative_values_before_the_scaling(
        config, method):
    from topgap_mm.cam import compute_cams, normalize_cams
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model).eval()
    # 96x96: a 3x3 last map for the standard network's CAM.
    inputs = torch.randn(3, 3, 96, 96)
    classes = torch.tensor([0, 1, 2])
    with torch.no_grad():
        if method == 'topgap':
            raw = model.head.forward_cam(
                model.extract_feat(inputs))[torch.arange(3), classes]
        else:
            raw = torch.einsum('nchw,nc->nhw', model.backbone(inputs)[-1],
                               model.head.fc.weight[classes])
        plain = compute_cams(model, inputs, method, classes)
        positive = compute_cams(model, inputs, method, classes,
                                positive_part=True)
    assert (raw < 0).any() and (raw > 0).any()
    torch.testing.assert_close(plain, normalize_cams(raw, (96, 96)))
    torch.testing.assert_close(positive,
                               normalize_cams(raw.clamp(min=0), (96, 96)))
    assert not torch.allclose(plain, positive)
