"""The trivial CAM baselines through the one normalisation and CAMIoU."""
import numpy as np
import pytest
import torch

from topgap_mm.cam import compute_cams
from topgap_mm.evaluation.metrics import CAMIoU

THRESHOLDS = np.arange(101) / 100


def curve(cams, masks):
    hists = [CAMIoU.histograms(c, m, THRESHOLDS) for c, m in zip(cams, masks)]
    return CAMIoU.calculate(
        sum(h[0] for h in hists), sum(h[1] for h in hists), THRESHOLDS)


def test_uniform_map_scores_the_object_share():
    inputs = torch.zeros(3, 3, 20, 30)
    masks = torch.zeros(3, 20, 30, dtype=torch.uint8)
    masks[0, :10, :] = 1  # 50%
    masks[1, 5:15, 5:15] = 1  # 100 px
    masks[2, 0, :] = 255  # ignored row, no object
    cams = compute_cams(None, inputs, method='uniform')
    assert torch.equal(cams, torch.zeros(3, 20, 30))
    share = (300 + 100) / (600 + 600 + 570)
    c = curve(cams, masks)
    assert c['iou'][0] == pytest.approx(100 * share)
    assert c['pxap'] == pytest.approx(100 * share)
    assert np.nanmax(c['iou'][1:]) == 0


def test_center_gaussian_is_one_at_the_centre_and_finds_a_centred_disc():
    inputs = torch.zeros(2, 3, 41, 41)
    cams = compute_cams(None, inputs, method='center_gaussian', sigma=0.2)
    assert cams.shape == (2, 41, 41) and cams[0, 20, 20] == 1.0
    assert torch.equal(cams[0], cams[1])
    torch.testing.assert_close(cams[0], cams[0].flip(0))
    torch.testing.assert_close(cams[0], cams[0].T)
    yy, xx = torch.meshgrid(torch.arange(41), torch.arange(41), indexing='ij')
    disc = (((yy - 20)**2 + (xx - 20)**2) <= 100).to(torch.uint8)
    corner = torch.zeros_like(disc)
    corner[:10, :10] = 1
    centred = curve(cams, torch.stack([disc, disc]))
    off = curve(cams, torch.stack([corner, corner]))
    # Thresholds of a centred Gaussian are discs: one of them is the mask,
    # up to the threshold grid and the pixel boundary.
    assert np.nanmax(centred['iou']) > 95
    assert centred['pxap'] > 95
    assert np.nanmax(off['iou']) < 25


def test_center_gaussian_rejects_a_bad_sigma():
    with pytest.raises(ValueError, match='`sigma`'):
        compute_cams(None, torch.zeros(1, 3, 8, 8), 'center_gaussian',
                     sigma=0)
