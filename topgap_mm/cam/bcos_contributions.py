"""The explanation of a B-cos network: its dynamic linear contributions.

A B-cos network in explanation mode (its dynamic scales detached) computes
``y(x) = W(x) x`` exactly, ``x`` the [x, 1 - x] encoding of the image
(6 channels). The contribution of an input position is ``W(x) x`` summed
over its channels; the positions' contributions sum to the logit minus the
biases (the ``LogitLayer``'s and any norm's). This is the package's
``explain()['contribution_map']`` and the map that B-cos-v2's localisation
analysis scores (``interpretability/analyses/localisation.py``: input x
gradient in explanation mode, summed over channels, its positive part).
"""
from typing import List, Optional

import torch
import torch.nn as nn
from bcos.common import explanation_mode

from mmpretrain.structures import DataSample
from ..models.classifiers.bcos_classifier import BcosResNetBackbone
from .classifier_parts import check_classifier_inputs
from .gradcam import cut_at_layer, the_leaf
from .normalize import normalize_cams
from .topgap_cam import Target, select_classes


def is_bcos_model(model: Optional[nn.Module]) -> bool:
    """Whether ``model`` is a B-cos classifier
    (:class:`~topgap_mm.models.BcosImageClassifier`)."""
    return isinstance(getattr(model, 'backbone', None), BcosResNetBackbone)


def bcos_contribution_maps(model: nn.Module,
                           inputs: torch.Tensor,
                           target: Target = 'gt',
                           data_samples: Optional[List[DataSample]] = None
                           ) -> torch.Tensor:
    """Signed contribution maps ``sum_c (W(x) x)_c`` of a B-cos classifier.

    The gradient of the chosen logit with respect to the encoded input is
    taken in the package's explanation mode, where it is the dynamic linear
    map ``W(x)``; the whole batch takes one backward pass (in eval mode
    images do not interact). Leaves no ``.grad`` on parameters and never
    switches the model's train/eval mode: call it in eval mode so that the
    norms use their running statistics.

    Args:
        model (nn.Module): A ``BcosImageClassifier``.
        inputs (torch.Tensor): Preprocessed images (N, 3, H, W) in [0, 1].
        target: Which class's map, see :func:`select_classes`.
        data_samples (list[DataSample], optional): Needed for
            ``target='gt'``.

    Returns:
        torch.Tensor: Maps (N, H, W), at the input's resolution.
    """
    check_classifier_inputs(model, inputs, 'B-cos')
    if not is_bcos_model(model):
        raise TypeError(
            f"method='bcos' needs a BcosImageClassifier, got a "
            f'{type(model).__name__} with a '
            f'{type(getattr(model, "backbone", None)).__name__} backbone; use '
            f'a post-hoc CAM method for other models.')
    encode = model.backbone.encode
    with explanation_mode(model), torch.enable_grad(), cut_at_layer(
            model, encode, 'B-cos') as leaves:
        scores = model(inputs, mode='tensor')
        encoded = the_leaf(leaves, 'B-cos')
        classes = select_classes(target, scores.detach(), data_samples)
        picked = scores.gather(1, classes[:, None]).sum()
        weights, = torch.autograd.grad(picked, encoded)
    return (encoded.detach() * weights).sum(dim=1)


def bcos_cams(model: nn.Module,
              inputs: torch.Tensor,
              target: Target = 'gt',
              data_samples: Optional[List[DataSample]] = None
              ) -> torch.Tensor:
    """B-cos contribution maps, their positive part normalised.

    The positive part is what B-cos-v2's localisation analysis scores (a
    negative contribution speaks against the class); it then goes through
    :func:`normalize_cams` like every other method, without the analysis'
    optional smoothing, so that no method gains from a filter the others
    lack.

    Args:
        model (nn.Module): A ``BcosImageClassifier``.
        inputs (torch.Tensor): Preprocessed images (N, 3, H, W) in [0, 1].
        target: Which class's map, see :func:`select_classes`.
        data_samples (list[DataSample], optional): Needed for
            ``target='gt'``.

    Returns:
        torch.Tensor: Maps (N, H, W) in [0, 1], on the device of ``inputs``.
    """
    maps = bcos_contribution_maps(model, inputs, target, data_samples)
    return normalize_cams(maps, inputs.shape[-2:], positive_part=True)
