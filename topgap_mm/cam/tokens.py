"""Vision-transformer tokens as the maps that the GradCAM family explains.

A layer inside MMPretrain's ``VisionTransformer`` (and its subclasses such as
``DistilledVisionTransformer``, DeiT) outputs tokens (N, L, C): first the
backbone's ``num_extra_tokens`` (the class token, and DeiT's distillation
token), then one token per patch, row by row over the patch grid. The map of
such a layer is its patch tokens laid back on that grid, (N, C, h, w), as
MMPretrain's ``out_type='featmap'`` and pytorch-grad-cam's
``reshape_transform`` for ViT lay them; the extra tokens belong to no image
position and are left out.

The grid is the one of the forward pass, read from the backbone's patch
embedding, not the backbone's ``patch_resolution`` (the size it was built
for), so inputs of another size or aspect ratio are laid out correctly.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn

from mmpretrain.models.backbones import VisionTransformer


def is_token_backbone(backbone: nn.Module) -> bool:
    """Whether ``backbone``'s layers output tokens that :class:`TokenGrid`
    lays on the patch grid (MMPretrain's ``VisionTransformer`` and its
    subclasses)."""
    return isinstance(backbone, VisionTransformer)


def default_token_layer(backbone: VisionTransformer) -> nn.Module:
    """The layer whose tokens the GradCAM family explains by default.

    The first norm (``ln1``, ``norm1``) of the last transformer block: the
    tokens that the last attention reads. After that attention the patch
    tokens no longer reach a class-token head (``out_type='cls_token'``), so
    their gradient at any later layer (the last block's output, the final
    norm) is zero; this is the layer that pytorch-grad-cam's ViT tutorial
    and MMPretrain's ``vis_cam.py --vit-like`` choose. It is used for every
    ``out_type``, so that the maps of one backbone do not change with its
    head.
    """
    return backbone.layers[-1].ln1


class TokenGrid:
    """The patch grid of one forward pass of a ``VisionTransformer``.

    Used as a context manager around the forward pass: a hook on the
    backbone's patch embedding records the grid size (h, w) of the batch.

    Args:
        backbone (VisionTransformer): The model's backbone.
    """

    def __init__(self, backbone: VisionTransformer):
        self.backbone = backbone
        self.num_extra_tokens = int(backbone.num_extra_tokens)
        self.size: Optional[Tuple[int, int]] = None
        self._handle = None

    def __enter__(self) -> 'TokenGrid':

        def record(module, args, output):
            # PatchEmbed returns (tokens, (h, w)).
            self.size = tuple(int(s) for s in output[1])

        self._handle = self.backbone.patch_embed.register_forward_hook(record)
        return self

    def __exit__(self, *exc) -> None:
        self._handle.remove()

    def to_map(self, tokens: torch.Tensor, method: str) -> torch.Tensor:
        """The patch tokens (N, L, C) of a layer as a map (N, C, h, w).

        Args:
            tokens (torch.Tensor): A layer's output in the backbone.
            method (str): Name of the calling method, for the messages.

        Raises:
            ValueError: If the tokens are not the extra tokens followed by
                one token per patch of this forward pass.
        """
        if self.size is None:
            raise ValueError(
                f'{method}: the target layer output tokens before the '
                "backbone's patch embedding ran; choose a layer of the "
                'transformer blocks, e.g. the default (`target_layer=None`).')
        height, width = self.size
        num, length, channels = tokens.shape
        if length != self.num_extra_tokens + height * width:
            raise ValueError(
                f'{method}: the target layer outputs {length} tokens, but '
                f'the backbone has {self.num_extra_tokens} extra tokens and '
                f'a {height}x{width} patch grid ('
                f'{self.num_extra_tokens + height * width} tokens); choose a '
                f'layer of the transformer blocks.')
        patches = tokens[:, self.num_extra_tokens:]
        return patches.transpose(1, 2).reshape(num, channels, height, width)

    def to_tokens(self, maps: torch.Tensor,
                  tokens: torch.Tensor) -> torch.Tensor:
        """The inverse of :meth:`to_map`: the map laid back as patch tokens
        after the extra tokens of ``tokens``, which are detached (the map
        leaves them out, so no gradient of theirs is needed)."""
        extra = tokens[:, :self.num_extra_tokens].detach()
        return torch.cat([extra, maps.flatten(2).transpose(1, 2)], dim=1)
