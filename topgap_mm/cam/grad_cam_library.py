"""GradCAM++, XGradCAM, LayerCAM, EigenCAM and ScoreCAM of pytorch-grad-cam.

The maps are the library's own (``grad-cam==1.5.7``); this module only
chooses the layer and the classes as the other methods of this package do,
runs the library inside MMEngine's test loop without side effects, and
normalises the maps with :func:`normalize_cams`.

How the library's ``BaseCAM.forward`` is driven here, and why:

- Its hooks sit on a probe (an ``nn.Identity``) that is called with the
  target layer's map, so that a layer returning a tuple (a backbone) or
  tokens (a ``VisionTransformer`` layer, whose patch tokens are laid on the
  patch grid as the library's ``reshape_transform`` does) can be
  explained: the library records gradients only of a module whose output
  is a tensor map. The map is cut out of the graph at the layer
  (:func:`~topgap_mm.cam.gradcam.cut_at_layer`, as for
  :func:`~topgap_mm.cam.gradcam_cams`), and the gradient is
  taken with :func:`torch.autograd.grad` with respect to that leaf only,
  instead of the library's ``model.zero_grad()`` and ``loss.backward()``,
  which would erase and then leave ``.grad`` on the model's parameters.
  The rest of the model sees a copy of the map, so an in-place op after
  the layer (``ReLU(inplace=True)``) does not change the recorded map
  (the library on its own records the changed map on CPU, where its
  ``.cpu()`` copy is the same tensor, and the layer's output on GPU).
- The classes are resolved by :func:`select_classes` from the logits of
  that same forward pass and handed over as one ``ClassifierOutputTarget``
  per image (a shorter list silently yields all-zero maps).
- The library puts the model in eval mode; the mode of every module is
  restored afterwards.
- The maps are taken at the feature resolution (the method's
  ``get_cam_image`` and the ReLU that ``compute_cam_per_layer`` applies
  next) and then upsampled and min-maxed by :func:`normalize_cams`. The
  library instead min-maxes, resizes with ``cv2.resize`` (bilinear,
  half-pixel centres like ``F.interpolate(align_corners=False)``) and
  min-maxes again; min-max is a positive affine map, which commutes with
  bilinear resizing, so both give the same maps up to float rounding (at
  most 5e-7 in ``tests/test_grad_cam_library.py``). This holds for all five
  methods, as each ends in that same ReLU at the feature resolution; for
  EigenCAM the ReLU keeps the positive side of a principal component whose
  sign is arbitrary (see :func:`eigencam_cams`).
- ``get_cam_image`` runs one image at a time: ScoreCAM builds the masked
  copies of its whole batch at once (N x channels x 3 x H x W), which this
  bounds to one image; no method's map depends on the rest of the batch.
"""
import functools
import importlib
from types import SimpleNamespace
from typing import TYPE_CHECKING, Callable, List, Optional, Tuple
from unittest import mock

import numpy as np
import torch
import torch.nn as nn
import tqdm

from mmpretrain.structures import DataSample
from .classifier_parts import check_classifier_inputs
from .gradcam import Layer, cut_at_layer, resolve_target_layer, the_leaf
from .normalize import normalize_cams
from .topgap_cam import Target, select_classes

if TYPE_CHECKING:
    from pytorch_grad_cam.base_cam import BaseCAM

#: ScoreCAM draws one tqdm bar per image, which would flood a test log.
_SILENT_TQDM = SimpleNamespace(tqdm=functools.partial(tqdm.tqdm, disable=True))


def _library():
    """pytorch-grad-cam, imported on first use: it imports scikit-learn,
    which would add seconds to ``import topgap_mm``."""
    return importlib.import_module('pytorch_grad_cam')


class ClassifierLogits(nn.Module):
    """An ``ImageClassifier`` as the plain ``images -> logits`` module that
    pytorch-grad-cam calls.

    Args:
        model (nn.Module): The classifier; its ``forward(inputs,
            mode='tensor')`` returns the logits.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model(inputs, mode='tensor')


def _record(cam: 'BaseCAM', probe: nn.Module, model: nn.Module,
            layer: nn.Module, inputs: torch.Tensor, target: Optional[Target],
            data_samples: Optional[List[DataSample]], method: str
            ) -> Tuple[np.ndarray, Optional[np.ndarray], Optional[list]]:
    """One forward pass (and for gradient methods one backward pass) that
    fills the library's ``ActivationsAndGradients``.

    Args:
        cam (BaseCAM): The library's method, hooked on ``probe``.
        probe (nn.Module): The module the library records.
        model (nn.Module): The classifier.
        layer (nn.Module): The target layer of the model.
        inputs (torch.Tensor): The batch.
        target: Which class's map, see :func:`select_classes`; None for
            a class-agnostic method.
        data_samples (list[DataSample], optional): Needed for
            ``target='gt'``.
        method (str): Name of the calling method, for the messages.

    Returns:
        tuple: The layer's map (N, K, h, w), its gradient (or None) and one
        ``ClassifierOutputTarget`` per image (or None).
    """
    recorder = cam.activations_and_grads
    with cut_at_layer(model, layer, method) as leaves, \
            torch.set_grad_enabled(cam.uses_gradients):
        logits = recorder(inputs)
        # The library's hooks on the probe record the map and, on the
        # leaf, its gradient.
        leaf = probe(the_leaf(leaves, method))
        targets = None
        if target is not None:
            classes = select_classes(target, logits.detach(), data_samples)
            output_target = _library().utils.model_targets.\
                ClassifierOutputTarget
            targets = [output_target(int(c)) for c in classes]
            # The library zips targets with the batch: a short list
            # silently gives all-zero maps for the images left over.
            if len(targets) != inputs.shape[0]:
                raise ValueError(
                    f'{method}: {len(targets)} classes for a batch of '
                    f'{inputs.shape[0]} images.')
        if cam.uses_gradients:
            score = sum(t(o) for t, o in zip(targets, logits))
            torch.autograd.grad(score, leaf)
    activations = recorder.activations[0].numpy()
    grads = recorder.gradients[0].numpy() if cam.uses_gradients else None
    return activations, grads, targets


def library_cams(method: str,
                 model: nn.Module,
                 inputs: torch.Tensor,
                 target: Optional[Target] = 'gt',
                 data_samples: Optional[List[DataSample]] = None,
                 target_layer: Layer = None,
                 eigen_smooth: bool = False,
                 batch_size: Optional[int] = None) -> torch.Tensor:
    """Maps of a pytorch-grad-cam method, normalised.

    Runs in eval mode, as the library sets it; the mode of every module is
    restored afterwards. Works inside ``torch.no_grad()`` (not
    ``torch.inference_mode()``) and on frozen models, leaves no ``.grad``
    on the parameters and no hooks on the model.

    Args:
        method (str): The name of a ``BaseCAM`` subclass of the library,
            e.g. ``'GradCAMPlusPlus'``.
        model (nn.Module): An ``ImageClassifier`` (any head).
        inputs (torch.Tensor): Preprocessed images (N, 3, H, W), on the
            model's device.
        target: Which class's map, see :func:`select_classes`; ``None``
            for a class-agnostic method (no classes are resolved).
        data_samples (list[DataSample], optional): Needed for
            ``target='gt'``.
        target_layer (str | nn.Module, optional): The layer to explain, see
            :func:`resolve_target_layer`; when it returns a tuple, its last
            element is used. Defaults to the backbone's last output map.
        eigen_smooth (bool): The library's option: the first principal
            component of the weighted maps instead of their sum.
        batch_size (int, optional): Masked images per forward pass, for
            ScoreCAM (the library's default is 16).

    Returns:
        torch.Tensor: Maps (N, H, W) in [0, 1] on the device of ``inputs``.
    """
    cam_class = getattr(_library(), method)
    check_classifier_inputs(model, inputs, method)
    layer = resolve_target_layer(model, target_layer, method)
    probe = nn.Identity()
    modes = [(m, m.training) for m in model.modules()]
    try:
        cam = cam_class(model=ClassifierLogits(model), target_layers=[probe])
        try:
            if batch_size is not None:
                cam.batch_size = batch_size
            activations, grads, targets = _record(cam, probe, model, layer,
                                                  inputs, target,
                                                  data_samples, method)
            maps = np.concatenate([
                cam.get_cam_image(
                    inputs[i:i + 1], probe,
                    None if targets is None else targets[i:i + 1],
                    activations[i:i + 1],
                    None if grads is None else grads[i:i + 1], eigen_smooth)
                for i in range(inputs.shape[0])
            ])
        finally:
            cam.activations_and_grads.release()
    finally:
        for module, training in modes:
            module.training = training
    # The library's ReLU, at the feature resolution as there.
    cams = torch.from_numpy(np.maximum(maps, 0)).to(inputs.device)
    return normalize_cams(cams, inputs.shape[-2:])


def _gradient_method(name: str, method: str,
                     paper: str) -> Callable[..., torch.Tensor]:
    """The function ``name`` of one of the library's gradient-weighted
    methods, which differ only in the class they build."""

    def cams(model: nn.Module,
             inputs: torch.Tensor,
             target: Target = 'gt',
             data_samples: Optional[List[DataSample]] = None,
             target_layer: Layer = None,
             eigen_smooth: bool = False) -> torch.Tensor:
        return library_cams(method, model, inputs, target, data_samples,
                            target_layer, eigen_smooth)

    cams.__name__ = cams.__qualname__ = name
    cams.__doc__ = (f"{paper}, pytorch-grad-cam's ``{method}``, normalised. "
                    'Arguments as :func:`library_cams`.')
    return cams


gradcam_plusplus_cams = _gradient_method(
    'gradcam_plusplus_cams', 'GradCAMPlusPlus',
    'GradCAM++ (Chattopadhyay et al. 2018)')
xgradcam_cams = _gradient_method('xgradcam_cams', 'XGradCAM',
                                 'XGradCAM (Fu et al. 2020)')
layercam_cams = _gradient_method('layercam_cams', 'LayerCAM',
                                 'LayerCAM (Jiang et al. 2021)')


def eigencam_cams(model: nn.Module,
                  inputs: torch.Tensor,
                  target: Target = 'gt',
                  data_samples: Optional[List[DataSample]] = None,
                  target_layer: Layer = None) -> torch.Tensor:
    """EigenCAM (Muhammad and Yeasin 2020), pytorch-grad-cam's
    ``EigenCAM``, normalised.

    The map is the layer's map projected on its first principal component,
    the same for every class. The sign of that component is the one
    ``np.linalg.svd`` returns, which is arbitrary; the library keeps it and
    applies its ReLU, and so does this function, so that ``'eigencam'`` is
    the library's method (a map may therefore show the complement of the
    salient region).

    Args:
        model, inputs, target_layer: As for :func:`library_cams`.
        target, data_samples: Unused: the map ignores the class.
    """
    return library_cams('EigenCAM', model, inputs, None, None, target_layer)


def scorecam_cams(model: nn.Module,
                  inputs: torch.Tensor,
                  target: Target = 'gt',
                  data_samples: Optional[List[DataSample]] = None,
                  target_layer: Layer = None,
                  batch_size: int = 16,
                  eigen_smooth: bool = False) -> torch.Tensor:
    """Score-CAM (Wang et al. 2020), pytorch-grad-cam's ``ScoreCAM``,
    normalised.

    Gradient-free: one forward pass of every image masked by each channel
    of the layer's map, so it costs ``channels / batch_size`` batched
    forward passes per image.

    Args:
        model, inputs, target, data_samples, target_layer, eigen_smooth:
            As for :func:`library_cams`.
        batch_size (int): Masked images per forward pass. Defaults to 16,
            the library's default.
    """
    if not (isinstance(batch_size, int) and batch_size > 0):
        raise ValueError(f'ScoreCAM: `batch_size` must be a positive int, '
                         f'got {batch_size!r}.')
    with mock.patch.object(_library().score_cam, 'tqdm', _SILENT_TQDM):
        return library_cams('ScoreCAM', model, inputs, target, data_samples,
                            target_layer, eigen_smooth, batch_size)
