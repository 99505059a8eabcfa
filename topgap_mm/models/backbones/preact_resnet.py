"""Pre-activation ResNet for 32x32 inputs (He et al. 2016, "Identity
Mappings in Deep Residual Networks"), the CIFAR-10 model of the paper."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_conv_layer, build_norm_layer
from torch.nn.modules.batchnorm import _BatchNorm

from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS


class PreActBlock(nn.Module):
    """Pre-activation basic block: BN-ReLU-conv3x3-BN-ReLU-conv3x3.

    The identity shortcut is added to the un-normalised input; when the
    stride or the width changes, a 1x1 convolution (no norm) is applied to
    the pre-activated input ``relu(bn1(x))``, as in the reference
    implementation (kuangliu/pytorch-cifar ``preact_resnet.py``).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first convolution. Defaults to 1.
        conv_cfg (dict, optional): Convolution config. Defaults to None.
        norm_cfg (dict): Normalisation config. Defaults to
            ``dict(type='BN')``.
    """

    expansion = 1

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.bn1 = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv1 = build_conv_layer(
            conv_cfg,
            in_channels,
            out_channels,
            kernel_size=3,
            stride=stride,
            padding=1,
            bias=False)
        self.bn2 = build_norm_layer(norm_cfg, out_channels)[1]
        self.conv2 = build_conv_layer(
            conv_cfg,
            out_channels,
            out_channels,
            kernel_size=3,
            stride=1,
            padding=1,
            bias=False)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                build_conv_layer(
                    conv_cfg,
                    in_channels,
                    out_channels,
                    kernel_size=1,
                    stride=stride,
                    bias=False))
        else:
            self.shortcut = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(x))
        shortcut = self.shortcut(out) if self.shortcut is not None else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + shortcut


@MODELS.register_module()
class PreActResNet(BaseBackbone):
    """Pre-activation ResNet, CIFAR variant.

    A 3x3 stem convolution with 64 filters and stride 1 (no norm, no
    activation, no max-pooling: every block normalises its own input),
    then four stages of :class:`PreActBlock` with 64, 128, 256 and 512
    channels and strides 1, 2, 2, 2. A 32x32 input gives maps of 32x32,
    16x16, 8x8 and 4x4.

    **Final BN + ReLU.** In a pre-activation network the output of the last
    block is an un-normalised residual sum; the original model (He et al.
    2016, and the ImageNet code released with the paper) applies one more
    BN + ReLU before global pooling. This backbone applies that final
    BN + ReLU (``final_norm``) to the output of the last stage (index
    ``num_stages - 1 = 3``) only, so ``out_indices=(3, )`` gives exactly
    what the original classifier pools. The maps of earlier stages are
    returned as they leave their stage (raw residual sums), which is what
    the next stage receives as well. With ``final_norm=False`` the last
    stage is returned raw too, as in kuangliu/pytorch-cifar's
    ``PreActResNet18``, which omits it.

    With a 10-class linear layer, depth 18 has 11.17M parameters
    (11,172,170 with the final BN; 11,171,146 without it, the number of
    the kuangliu/pytorch-cifar reference).

    Args:
        depth (int): 18 or 34.
        in_channels (int): Input image channels. Defaults to 3.
        stem_channels (int): Filters of the stem convolution. Defaults to 64.
        base_channels (int): Width of the first stage; stage ``i`` has
            ``base_channels * 2**i`` channels. Defaults to 64.
        strides (Sequence[int]): Stride of the first block of each stage.
            Defaults to ``(1, 2, 2, 2)``.
        out_indices (Sequence[int] | int): Stages whose outputs are
            returned, in increasing order; negative indices count from the
            end. Defaults to ``(3, )``.
        final_norm (bool): Apply the final BN + ReLU to the last stage's
            output. Defaults to True.
        frozen_stages (int): ``-1`` freezes nothing, ``0`` the stem, ``i``
            the stem and stages ``0 .. i-1`` (with ``i = 4`` the final norm
            too). Frozen parts are kept in eval mode. Defaults to -1.
        conv_cfg (dict, optional): Convolution config. Defaults to None.
        norm_cfg (dict): Normalisation config. Defaults to
            ``dict(type='BN', requires_grad=True)``.
        norm_eval (bool): Keep all BatchNorm layers in eval mode during
            training (frozen running statistics). Defaults to False.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    arch_settings = {
        18: (PreActBlock, (2, 2, 2, 2)),
        34: (PreActBlock, (3, 4, 6, 3)),
    }

    def __init__(self,
                 depth: int = 18,
                 in_channels: int = 3,
                 stem_channels: int = 64,
                 base_channels: int = 64,
                 strides: Sequence[int] = (1, 2, 2, 2),
                 out_indices: Union[int, Sequence[int]] = (3, ),
                 final_norm: bool = True,
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, list]] = [
                     dict(type='Kaiming', layer=['Conv2d']),
                     dict(
                         type='Constant',
                         val=1,
                         layer=['_BatchNorm', 'GroupNorm'])
                 ]):
        super().__init__(init_cfg=init_cfg)
        if depth not in self.arch_settings:
            raise KeyError(f'invalid depth {depth} for PreActResNet; choose '
                           f'from {sorted(self.arch_settings)}.')
        block, stage_blocks = self.arch_settings[depth]
        num_stages = len(stage_blocks)
        if len(strides) != num_stages:
            raise ValueError(f'`strides` needs {num_stages} entries, got '
                             f'{tuple(strides)}.')
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        out_indices = tuple(i + num_stages if i < 0 else i
                            for i in out_indices)
        if not out_indices or any(not 0 <= i < num_stages
                                  for i in out_indices):
            raise ValueError(f'`out_indices` must be stage indices in '
                             f'[0, {num_stages}), got {out_indices}.')
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(f'`frozen_stages` must lie in [-1, '
                             f'{num_stages}], got {frozen_stages}.')
        self.depth = depth
        self.num_stages = num_stages
        self.out_indices = tuple(sorted(set(out_indices)))
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_final_norm = final_norm

        self.conv1 = build_conv_layer(
            conv_cfg,
            in_channels,
            stem_channels,
            kernel_size=3,
            stride=1,
            padding=1,
            bias=False)
        self.res_layers = []
        channels = stem_channels
        self.stage_channels = []
        for i, num_blocks in enumerate(stage_blocks):
            out_channels = base_channels * 2**i
            blocks = []
            for j in range(num_blocks):
                blocks.append(
                    block(
                        channels,
                        out_channels,
                        stride=strides[i] if j == 0 else 1,
                        conv_cfg=conv_cfg,
                        norm_cfg=norm_cfg))
                channels = out_channels * block.expansion
            name = f'layer{i + 1}'
            self.add_module(name, nn.Sequential(*blocks))
            self.res_layers.append(name)
            self.stage_channels.append(channels)
        self.feat_dim = channels
        if final_norm:
            self.final_norm = build_norm_layer(norm_cfg, channels)[1]
        else:
            self.final_norm = None
        self._freeze_stages()

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.conv1(x)
        outs = []
        last = self.out_indices[-1]
        for i, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if i == self.num_stages - 1 and self.final_norm is not None:
                x = F.relu(self.final_norm(x))
            if i in self.out_indices:
                outs.append(x)
            if i == last:
                break
        return tuple(outs)

    def _freeze_stages(self):
        if self.frozen_stages >= 0:
            for param in self.conv1.parameters():
                param.requires_grad = False
        for i in range(1, self.frozen_stages + 1):
            m = getattr(self, f'layer{i}')
            m.eval()
            for param in m.parameters():
                param.requires_grad = False
        if self.frozen_stages == self.num_stages and \
                self.final_norm is not None:
            self.final_norm.eval()
            for param in self.final_norm.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
