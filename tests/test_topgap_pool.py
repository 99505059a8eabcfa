import pytest
import torch

from topgap_mm.models.utils import TopGAP, resolve_k, topgap_pool


def test_k1_is_global_max_pooling():
    cam = torch.randn(3, 5, 7, 6)
    torch.testing.assert_close(
        topgap_pool(cam, 1), cam.flatten(2).max(dim=2).values)


def test_full_area_is_global_average_pooling():
    cam = torch.randn(3, 5, 7, 6)
    torch.testing.assert_close(topgap_pool(cam, 42), cam.mean(dim=(2, 3)))
    torch.testing.assert_close(topgap_pool(cam, 1.0), cam.mean(dim=(2, 3)))


def test_known_answer():
    cam = torch.tensor([[[[1., 9.], [4., -2.]], [[0., 0.], [3., 5.]]]])
    torch.testing.assert_close(
        topgap_pool(cam, 2), torch.tensor([[6.5, 4.0]]))


def test_gradient_reaches_only_selected_positions():
    cam = torch.randn(2, 3, 8, 8, requires_grad=True)
    topgap_pool(cam, 5).sum().backward()
    flat = cam.detach().flatten(2)
    threshold = flat.topk(5, dim=2).values[..., -1:]
    selected = (flat >= threshold).view_as(cam)
    torch.testing.assert_close(cam.grad[selected],
                               torch.full_like(cam.grad[selected], 1 / 5))
    assert torch.all(cam.grad[~selected] == 0)
    assert int(selected.sum()) == 2 * 3 * 5


def test_float_k_is_fraction_of_area():
    assert resolve_k(0.25, 16, 16) == 64
    assert resolve_k(1e-6, 16, 16) == 1
    # Not multiples of 1/area: rounded to the nearest count, not floored
    # (a floor would give 2 and 136).
    assert resolve_k(0.0107, 16, 16) == 3  # 2.74 positions
    assert resolve_k(0.1, 37, 37) == 137  # 136.9 positions
    cam = torch.randn(1, 2, 16, 16)
    torch.testing.assert_close(topgap_pool(cam, 0.25), topgap_pool(cam, 64))


@pytest.mark.parametrize('k', [0, -3])
def test_non_positive_k_is_refused(k):
    with pytest.raises(ValueError, match='`k`'):
        TopGAP(k)
    with pytest.raises(ValueError, match='`k`'):
        topgap_pool(torch.zeros(1, 1, 4, 4), k)


def test_k_larger_than_cam_names_sizes():
    with pytest.raises(ValueError, match=r'`k`=17.*4x4 = 16'):
        topgap_pool(torch.zeros(1, 1, 4, 4), 17)


@pytest.mark.parametrize('k', [0.0, 1.5, -0.1])
def test_float_k_outside_unit_interval_is_refused(k):
    with pytest.raises(ValueError, match=r'\(0, 1\]'):
        TopGAP(k)


def test_non_number_k_is_refused():
    with pytest.raises(TypeError, match='`k`'):
        TopGAP('16')
    with pytest.raises(TypeError, match='`k`'):
        TopGAP(True)
