"""suggest_k: object areas on the CAM grid, the k they suggest, the tool on
the embedded benchmark and on an official-layout CUB."""
import json

import numpy as np
import pytest
import torch
from mmengine.config import Config
from test_dataset_end_to_end import data_options
from test_public_datasets import write_cub
from tool_runner import run_tool

from topgap_mm.analysis.object_sizes import (box_union_area, measure_objects,
                                             object_fractions, suggest_k,
                                             training_split_with_test_pipeline)
from topgap_mm.datasets.fashion_backgrounds import FashionBackgroundsDataset


def test_suggestion_is_the_median_area_on_the_grid():
    result = suggest_k(np.array([0.1, 0.2, 0.3, 0.25, 0.15]), (10, 10))
    assert result['k'] == 20 and result['fraction'] == 0.2
    assert result['quantiles'][0.5]['positions'] == pytest.approx(20)
    assert result['quantiles'][1.0]['fraction'] == pytest.approx(0.3)
    assert not result['wide']
    assert suggest_k(np.array([0.01, 0.02, 0.4, 0.5]), (8, 8))['wide']
    # A speck still gets one position.
    assert suggest_k(np.array([0.001]), (4, 4))['k'] == 1


def test_fractions_are_the_mask_shares_of_the_images():
    dataset = FashionBackgroundsDataset(
        split='train', img_size=32, num_samples=6,
        pipeline=[dict(type='PackMaskedInputs')])
    expected = [
        float((dataset.prepare_data(i)['data_samples'].gt_object_mask == 1)
              .float().mean()) for i in range(6)
    ]
    assert object_fractions(dataset).tolist() == pytest.approx(expected)
    assert len(object_fractions(dataset, 4)) == 4


def test_box_union_area_counts_pixel_centres_once():
    # Columns 0..9 have their centres in [0.3, 10.3), rows 0..4 in [0, 5).
    assert box_union_area(torch.tensor([[0.3, 0., 10.3, 5.]]), 8, 16) == 50
    # Two 4x4 boxes overlapping on 2x2: the overlap counts once.
    assert box_union_area(
        torch.tensor([[0., 0., 4., 4.], [2., 2., 6., 6.]]), 10, 10) == 28
    # The part outside the image does not count.
    assert box_union_area(torch.tensor([[-2., -2., 3., 3.]]), 10, 10) == 9


def test_boxes_measure_a_sample_without_a_mask():
    dataset = FashionBackgroundsDataset(
        split='train', img_size=32, num_samples=4,
        pipeline=[dict(type='PackMaskedInputs', mask_key='no_mask')])
    fractions, source = measure_objects(dataset)
    expected = [
        float(box_union_area(dataset[i]['data_samples'].gt_object_boxes,
                             32, 32)) / 32**2 for i in range(4)
    ]
    assert source == 'boxes' and fractions.tolist() == pytest.approx(
        expected)
    # The tight box frames the mask: never a smaller share.
    assert np.all(fractions >= object_fractions(FashionBackgroundsDataset(
        split='train', img_size=32, num_samples=4,
        pipeline=[dict(type='PackMaskedInputs')])) - 1e-12)


def test_tool_on_the_embedded_benchmark(tmp_path):
    out = tmp_path / 'k.json'
    proc = run_tool('tools/analysis_tools/suggest_k.py',
                    'configs/topgap/resnet18_fashionbg_k16.py',
                    '--num-samples', '50', '--out', str(out))
    result = json.loads(out.read_text())
    # 64 px input, ResNet-18's stride 4 at the FPN's finest level: 16 x 16.
    assert result['grid'] == [16, 16] and result['num_images'] == 50
    assert proc.stdout.strip().endswith(
        f'--cfg-options model.head.k={result["k"]}')


def test_tool_on_official_layout_cub(tmp_path):
    root = write_cub(str(tmp_path / 'CUB_200_2011'))
    opts = data_options(root)
    proc = run_tool('tools/analysis_tools/suggest_k.py',
                    'configs/topgap/resnet18_cub_k256.py', '--cfg-options',
                    *opts)
    # 224 px input, stride 4 at the FPN's finest level.
    assert '3 training images on the 56x56 CAM grid' in proc.stdout
    assert 'Suggested k = ' in proc.stdout
    cfg = Config.fromfile('configs/topgap/resnet18_cub_k256.py')
    cfg.merge_from_dict(dict(o.split('=', 1) for o in opts[:4]))
    # The training split less the held-out val, with the test pipeline.
    dataset = training_split_with_test_pipeline(cfg)
    assert len(dataset) == 3 and 'RandomCrop' not in str(
        dataset.pipeline)
    assert 'measured on their masks' in proc.stdout
    with_masks = int(proc.stdout.split('Suggested k = ')[1].split()[0])
    # Without segmentations the boxes of bounding_boxes.txt are measured;
    # they frame the masks, so they suggest at least the masks' k.
    no_masks = write_cub(str(tmp_path / 'no_seg' / 'CUB_200_2011'),
                         with_seg=False)
    proc = run_tool('tools/analysis_tools/suggest_k.py',
                    'configs/topgap/resnet18_cub_k256.py', '--cfg-options',
                    *data_options(no_masks))
    assert 'measured on their boxes' in proc.stdout
    assert 'upper end' in proc.stdout
    assert int(proc.stdout.split('Suggested k = ')[1].split()[0]) >= with_masks
    neither = write_cub(str(tmp_path / 'neither' / 'CUB_200_2011'),
                        with_seg=False, with_boxes=False)
    proc = run_tool('tools/analysis_tools/suggest_k.py',
                    'configs/topgap/resnet18_cub_k256.py', '--cfg-options',
                    *data_options(neither), check=False)
    assert proc.returncode != 0 and 'neither object masks' in proc.stderr
    proc = run_tool('tools/analysis_tools/suggest_k.py',
                    'configs/standard/resnet18_fashionbg.py', check=False)
    assert proc.returncode != 0 and 'makes no CAM' in proc.stderr


@pytest.mark.parametrize('study', ['embedded_pooling', 'embedded_pooling_wide'])
def test_pooling_studies_train_the_k_suggest_k_suggests(study):
    """The pooling studies' `topgap_suggested` pair claims the k that
    suggest_k.py suggests for its regime's training split; a change of the
    benchmark's object sizes that makes the claim stale fails here."""
    from topgap_mm.analysis import build_classifier, load_config
    from topgap_mm.analysis.object_sizes import cam_grid
    from topgap_mm.study import StudySpec
    spec = StudySpec.fromfile(f'configs/studies/{study}.py', '.')
    pair, = [p for p in spec.pairs if p['name'] == 'topgap_suggested']
    cfg_options, = spec.regimes.values()
    cfg = load_config(pair['topgap'], cfg_options)
    dataset = training_split_with_test_pipeline(cfg)
    fractions, _ = measure_objects(dataset, 500)
    grid = cam_grid(build_classifier(cfg, None), dataset)
    assert suggest_k(fractions, grid)['k'] == cfg.model.head.k
