"""GradCAM (Selvaraju et al. 2017) for any MMPretrain image classifier."""
import contextlib
from typing import Iterator, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.structures import DataSample
from .classifier_parts import check_classifier_inputs
from .normalize import normalize_cams
from .tokens import TokenGrid, default_token_layer, is_token_backbone
from .topgap_cam import Target, select_classes


#: A module of the model, its dotted name, or None for the backbone.
Layer = Union[None, str, nn.Module]


def resolve_target_layer(model: nn.Module, target_layer: Layer,
                         method: str = 'GradCAM') -> nn.Module:
    """The module whose output map ``method`` explains.

    Args:
        model (nn.Module): The classifier.
        target_layer (str | nn.Module, optional): A module of ``model`` or
            its dotted name; ``None`` means the backbone (its last output
            map) or, for a ``VisionTransformer`` backbone, the first norm of
            its last block (see
            :func:`~topgap_mm.cam.tokens.default_token_layer`).
        method (str): Name of the calling method, for the messages.

    Raises:
        ValueError: For a name or module that is not part of ``model``.
        TypeError: For anything else.
    """
    if target_layer is None:
        if is_token_backbone(model.backbone):
            return default_token_layer(model.backbone)
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


def _describe(output) -> str:
    """The shape of a layer's output, for the messages."""
    if isinstance(output, torch.Tensor):
        return f'a tensor of shape {tuple(output.shape)}'
    if isinstance(output, (tuple, list)):
        return f'a {type(output).__name__} of {len(output)} ending with ' + (
            _describe(output[-1]) if output else 'nothing')
    return f'a {type(output).__name__}'


@contextlib.contextmanager
def cut_at_layer(model: nn.Module, layer: nn.Module,
                 method: str) -> Iterator[List[torch.Tensor]]:
    """Cut the graph of the model's forward passes at ``layer``'s map.

    Within the context, each forward pass appends to the yielded list the
    map (N, C, h, w) of ``layer`` as a leaf that requires grad, and the rest
    of the model computes from that leaf, so the gradient of a score with
    respect to the map is taken with :func:`torch.autograd.grad` alone (no
    ``.grad`` on the parameters, and it works on frozen models and inside
    ``torch.no_grad()`` when the pass enables grad). A layer returning a
    tuple is explained by its last element. In a ``VisionTransformer``
    backbone, a layer's tokens (N, L, C) become the map of their patch
    tokens (:class:`~topgap_mm.cam.tokens.TokenGrid`).

    Args:
        model (nn.Module): The classifier.
        layer (nn.Module): The target layer, a module of ``model``.
        method (str): Name of the calling method, for the messages.

    Yields:
        list[torch.Tensor]: The leaves, one per run of ``layer``.
    """
    grid = TokenGrid(model.backbone) if is_token_backbone(
        model.backbone) else None
    leaves = []

    def cut(module, args, output):
        maps = output[-1] if isinstance(output, (tuple, list)) else output
        is_tensor = isinstance(maps, torch.Tensor)
        if grid is not None and is_tensor and maps.dim() == 3:
            leaf = grid.to_map(maps, method).detach().requires_grad_()
            maps = grid.to_tokens(leaf, maps)
        elif is_tensor and maps.dim() == 4:
            leaf = maps.detach().requires_grad_()
            # A clone, so that in-place ops after the layer
            # (ReLU(inplace=True)) do not act on the leaf.
            maps = leaf.clone()
        else:
            tokens = ' or, in a VisionTransformer, tokens (N, L, C)' if (
                grid is not None) else ''
            hint = ''
            if grid is not None and module is model.backbone:
                hint = (' A VisionTransformer with out_type='
                        f'{model.backbone.out_type!r} outputs no patch '
                        'tokens; leave `target_layer` as None for the '
                        'first norm of the last block.')
            raise ValueError(
                f'{method}: the target layer {type(module).__name__} must '
                f'output a map (N, C, h, w){tokens} (or a tuple ending with '
                f'one), got {_describe(output)}.{hint}')
        leaves.append(leaf)
        if isinstance(output, (tuple, list)):
            return type(output)([*output[:-1], maps])
        return maps

    with contextlib.ExitStack() as stack:
        if grid is not None:
            stack.enter_context(grid)
        handle = layer.register_forward_hook(cut)
        stack.callback(handle.remove)
        yield leaves


def the_leaf(leaves: List[torch.Tensor], method: str) -> torch.Tensor:
    """The one leaf that :func:`cut_at_layer` cut in a forward pass.

    Raises:
        ValueError: If the layer ran more than once (or never).
    """
    if len(leaves) != 1:
        raise ValueError(
            f'{method}: the target layer ran {len(leaves)} times in one '
            f'forward pass; choose a layer that runs once.')
    return leaves[0]


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
    ``tests/test_cam_methods.py``). On a ``VisionTransformer`` (ViT, DeiT)
    the map is the target layer's patch tokens on the patch grid, as the
    library's ``reshape_transform`` lays them (see
    ``tests/test_transformer_cams.py``).

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
            map, or, for a ``VisionTransformer``, the first norm of its last
            block (see :func:`resolve_target_layer`).

    Returns:
        torch.Tensor: CAMs of shape (N, H, W) in [0, 1], on the device of
        ``inputs``.
    """
    check_classifier_inputs(model, inputs, 'GradCAM')
    layer = resolve_target_layer(model, target_layer)
    with cut_at_layer(model, layer, 'GradCAM') as leaves, \
            torch.enable_grad():
        scores = model(inputs, mode='tensor')
        leaf = the_leaf(leaves, 'GradCAM')
        classes = select_classes(target, scores.detach(), data_samples)
        picked = scores.gather(1, classes[:, None]).sum()
        grads, = torch.autograd.grad(picked, leaf)
    maps = leaf.detach()
    weights = grads.mean(dim=(2, 3), keepdim=True)
    cams = F.relu((weights * maps).sum(dim=1))
    return normalize_cams(cams, inputs.shape[-2:])
