"""GradCAM (Selvaraju et al. 2017) for any MMPretrain image classifier."""
from typing import List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.structures import DataSample
from .cam import check_classifier_inputs
from .normalize import normalize_cams
from .topgap_cam import Target, select_classes


#: A module of the model, its dotted name, or None for the backbone.
Layer = Union[None, str, nn.Module]


def resolve_target_layer(model: nn.Module, target_layer: Layer,
                         method: str = 'GradCAM') -> nn.Module:
    """The module whose output map ``method`` explains.

    Args:
        model (nn.Module): The classifier.
        target_layer (str | nn.Module, optional): A module of ``model`` or
            its dotted name; ``None`` means the backbone.
        method (str): Name of the calling method, for the messages.

    Raises:
        ValueError: For a name or module that is not part of ``model``.
        TypeError: For anything else.
    """
    if target_layer is None:
        return model.backbone
    if isinstance(target_layer, str):
        try:
            return model.get_submodule(target_layer)
        except AttributeError as e:
            raise ValueError(
                f'{method}: the model has no submodule {target_layer!r}; '
                f'use a dotted name from `model.named_modules()`, e.g. '
                f"'backbone.layer4'.") from e
    if isinstance(target_layer, nn.Module):
        if not any(m is target_layer for m in model.modules()):
            raise ValueError(f'{method}: `target_layer` is not a submodule '
                             f'of the model.')
        return target_layer
    raise TypeError(f'{method}: `target_layer` must be None, a dotted module '
                    f'name or a module, got {type(target_layer).__name__}.')


def gradcam_cams(model: nn.Module,
                 inputs: torch.Tensor,
                 target: Target = 'gt',
                 data_samples: Optional[List[DataSample]] = None,
                 target_layer: Union[None, str, nn.Module] = None
                 ) -> torch.Tensor:
    """GradCAMs of a batch, normalised.

    For the map ``A`` (N, K, h, w) of the target layer and the logit ``y_c``
    of the chosen class, the map is ``ReLU(sum_k a_k * A_k)`` with
    ``a_k`` the spatial mean of ``d y_c / d A_k``. The whole batch takes
    one backward pass (the chosen logits are summed, and in eval mode
    images do not interact).

    The map is cut out of the graph at the target layer (a leaf that
    requires grad replaces the layer's output), so the gradient is taken
    with :func:`torch.autograd.grad` with respect to that leaf only: it
    works inside ``torch.no_grad()`` (not ``torch.inference_mode()``), on
    frozen models, leaves no ``.grad`` on parameters, removes its hook and
    never switches the model's train/eval mode. Call it in eval mode so that
    BatchNorm uses its running statistics.

    Agrees with ``pytorch_grad_cam.GradCAM`` (1.5.7) on the same layer: that
    library min-maxes at the feature resolution, resizes with
    ``cv2.resize`` (bilinear, half-pixel centres, like
    ``F.interpolate(align_corners=False)``) and min-maxes again; both
    min-maxes are positive affine maps, which commute with bilinear
    resizing, so its output equals this one's up to float rounding (see
    ``tests/test_cam_methods.py``).

    Args:
        model (nn.Module): An ``ImageClassifier`` (any head).
        inputs (torch.Tensor): Preprocessed images (N, 3, H, W).
        target: Which class's map, see :func:`select_classes`.
        data_samples (list[DataSample], optional): Needed for
            ``target='gt'``.
        target_layer (str | nn.Module, optional): The layer to explain, as
            a module of ``model`` or its dotted name (e.g.
            ``'backbone.layer4'``); when it returns a tuple, its last
            element is used. Defaults to the backbone, i.e. its last output
            map.

    Returns:
        torch.Tensor: CAMs of shape (N, H, W) in [0, 1], on the device of
        ``inputs``.
    """
    check_classifier_inputs(model, inputs, 'GradCAM')
    layer = resolve_target_layer(model, target_layer)
    leaves = []

    def cut_graph(module, args, output):
        maps = output[-1] if isinstance(output, (tuple, list)) else output
        if not isinstance(maps, torch.Tensor) or maps.dim() != 4:
            raise ValueError(
                f'GradCAM: the target layer {type(module).__name__} must '
                f'output a map (N, C, h, w) (or a tuple ending with one).')
        leaf = maps.detach().requires_grad_()
        leaves.append(leaf)
        # A clone, so that in-place ops after the layer (ReLU(inplace=True))
        # do not act on the leaf.
        maps = leaf.clone()
        if isinstance(output, (tuple, list)):
            return type(output)([*output[:-1], maps])
        return maps

    handle = layer.register_forward_hook(cut_graph)
    try:
        with torch.enable_grad():
            scores = model(inputs, mode='tensor')
            if len(leaves) != 1:
                raise ValueError(
                    f'GradCAM: the target layer ran {len(leaves)} times in '
                    f'one forward pass; choose a layer that runs once.')
            classes = select_classes(target, scores.detach(), data_samples)
            picked = scores.gather(1, classes[:, None]).sum()
            grads, = torch.autograd.grad(picked, leaves[0])
    finally:
        handle.remove()
    maps = leaves[0].detach()
    weights = grads.mean(dim=(2, 3), keepdim=True)
    cams = F.relu((weights * maps).sum(dim=1))
    return normalize_cams(cams, inputs.shape[-2:])
