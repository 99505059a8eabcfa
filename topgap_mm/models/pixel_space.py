"""Classifiers as functions of [0, 1] RGB images, for attacks and gradients.

Adversarial attacks (torchattacks and others) and input-gradient analyses
expect a model of images in [0, 1] that returns logits. MMPretrain models
take the data preprocessor's normalised tensors instead. This module is the
one place that converts between the two.
"""
from typing import Sequence, Union

import torch
import torch.nn as nn

from mmpretrain.models.utils import ClsDataPreprocessor


def _preprocessor(model: nn.Module) -> ClsDataPreprocessor:
    preprocessor = getattr(model, 'data_preprocessor', None)
    if not isinstance(preprocessor, ClsDataPreprocessor):
        raise TypeError(
            f'PixelSpaceModel needs a classifier whose data_preprocessor is '
            f'a ClsDataPreprocessor, got {type(preprocessor).__name__}.')
    return preprocessor


class PixelSpaceModel(nn.Module):
    """Wrap an MMPretrain classifier as ``logits = f(rgb)``, rgb in [0, 1].

    The wrapper reproduces the data preprocessor exactly: pixels are scaled
    to [0, 255] and normalised with the preprocessor's mean and std, which
    MMPretrain gives in RGB order after its optional BGR->RGB flip. The
    flip itself is not applied: inputs here are RGB already. The wrapped
    model is put in eval mode (BatchNorm uses running statistics, dropout
    is off), since attacks on a training-mode model are not attacks on the
    deployed one.

    Args:
        model (nn.Module): An ``ImageClassifier`` (or any model with a
            ``ClsDataPreprocessor`` and ``mode='tensor'`` forward).
        check_range (bool): Raise if an input leaves [0, 1]. Defaults to
            True.
    """

    def __init__(self, model: nn.Module, check_range: bool = True):
        super().__init__()
        self.model = model.eval()
        self.check_range = check_range
        preprocessor = _preprocessor(model)
        if preprocessor._enable_normalize:
            mean, std = preprocessor.mean, preprocessor.std
        else:
            mean = torch.zeros(1, 3, 1, 1)
            std = torch.ones(1, 3, 1, 1)
        self.register_buffer('mean', mean.detach().clone().view(1, -1, 1, 1))
        self.register_buffer('std', std.detach().clone().view(1, -1, 1, 1))

    def train(self, mode: bool = True) -> 'PixelSpaceModel':
        """Keep the wrapped model in eval mode whatever is asked."""
        super().train(False)
        return self

    def normalize(self, rgb: torch.Tensor) -> torch.Tensor:
        """[0, 1] RGB -> the tensor the classifier's preprocessor makes."""
        if rgb.dim() != 4 or rgb.shape[1] != self.mean.shape[1]:
            raise ValueError(
                f'PixelSpaceModel expects images (N, {self.mean.shape[1]}, '
                f'H, W), got {tuple(rgb.shape)}.')
        if self.check_range and (rgb.min() < 0 or rgb.max() > 1):
            raise ValueError(
                f'PixelSpaceModel expects pixels in [0, 1], got values in '
                f'[{rgb.min().item():.3f}, {rgb.max().item():.3f}]; divide '
                f'uint8 images by 255 (see `to_pixel_space`).')
        return (rgb * 255.0 - self.mean) / self.std

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.model(self.normalize(rgb), mode='tensor')


def to_pixel_space(inputs: Union[torch.Tensor, Sequence[torch.Tensor]],
                   model: nn.Module) -> torch.Tensor:
    """Turn a data batch's raw ``inputs`` into [0, 1] RGB images.

    Args:
        inputs: The ``inputs`` of a collated data batch: uint8 (or float in
            [0, 255]) tensors of shape (3, H, W) in the dataset's channel
            order (BGR for images read by ``LoadImageFromFile``), as a list
            or a stacked (N, 3, H, W) tensor.
        model (nn.Module): The classifier, whose preprocessor tells whether
            the channels are flipped.

    Returns:
        torch.Tensor: Float images (N, 3, H, W) in [0, 1], RGB, on the
        model's device.
    """
    preprocessor = _preprocessor(model)
    if isinstance(inputs, (list, tuple)):
        shapes = {tuple(x.shape) for x in inputs}
        if len(shapes) != 1:
            raise ValueError(f'Images of a batch must share one size to be '
                             f'attacked together, got sizes {sorted(shapes)}.')
        inputs = torch.stack(list(inputs))
    device = next(model.parameters()).device
    images = inputs.to(device=device, dtype=torch.float32) / 255.0
    if preprocessor.to_rgb and images.shape[1] == 3:
        images = images.flip(1)
    return images
