"""A cheaper neck for Top-GAP with the CAM still at the finest resolution."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import DepthwiseSeparableConvModule

from mmpretrain.registry import MODELS
from .fpn_cam import TopGAPFPN


@MODELS.register_module()
class EfficientTopGAPFPN(TopGAPFPN):
    """:class:`TopGAPFPN` with depthwise-separable convolutions, fewer
    filters and a cascaded upsampling.

    The paper's neck spends most of Top-GAP's extra cost on dense 3x3
    convolutions with 256 filters at up to a quarter of the input size (for
    ResNet-18 at 224x224, 0.87 GMACs against the backbone's 1.82), and on
    upsampling three 256-channel maps to the finest size. Here:

    - each level keeps a 3x3 receptive field through a depthwise 3x3
      convolution, but mixes channels with a 1x1 convolution of
      ``out_channels`` (default 64) filters, followed by BN + ReLU. The
      depthwise convolution is linear: with the pointwise one after it, it
      is a rank-factorised 3x3 convolution, and it skips a memory-bound
      normalisation pass at the finest map;
    - the levels are fused coarsest first: each fused map is upsampled
      bilinearly to the next finer level and added to it, so only one map
      is upsampled to the finest size instead of one per coarser level.

    For ResNet-18 at 224x224 the neck costs about 27 MMACs and the 1x1 head
    at 200 classes 40 MMACs (paper's neck and head: 0.87 G and 0.16 G). The
    output is still one map at the resolution of the finest backbone map,
    so the CAM is as large as with the paper's neck.

    Args:
        in_channels (Sequence[int]): Channels of the backbone feature maps
            used, finest first; their sizes must not grow along the list.
        out_channels (int): Filters of every pointwise convolution, which is
            the ``in_channels`` of the head. Defaults to 64.
        kernel_size (int): Kernel size of the depthwise convolutions.
            Defaults to 3.
        norm_cfg (dict, optional): Normalisation after each pointwise
            convolution. Defaults to ``dict(type='BN')``.
        act_cfg (dict, optional): Activation after each pointwise
            convolution. Defaults to ``dict(type='ReLU')``.
        upsample_mode (str): Interpolation between levels. Defaults to
            ``'bilinear'``.
        init_cfg (dict, optional): Initialisation config.

    Examples:
        >>> import torch
        >>> neck = EfficientTopGAPFPN(in_channels=[256, 512])
        >>> fused, = neck((torch.rand(1, 256, 4, 4), torch.rand(1, 512, 2, 2)))
        >>> fused.shape  # 64 channels at the finer map's size
        torch.Size([1, 64, 4, 4])
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int = 64,
                 kernel_size: int = 3,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 upsample_mode: str = 'bilinear',
                 init_cfg: Optional[dict] = dict(
                     type='Kaiming', layer='Conv2d')):
        super().__init__(
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel_size,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
            upsample_mode=upsample_mode,
            init_cfg=init_cfg)
        # The parent's dense convolutions are replaced (its checks and map
        # selection are reused), so that the parameters and the state dict
        # are this neck's own.
        self.convs = nn.ModuleList(
            DepthwiseSeparableConvModule(
                c,
                out_channels,
                kernel_size,
                padding=kernel_size // 2,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg,
                dw_norm_cfg=None,
                dw_act_cfg=None) for c in self.in_channels)

    def forward(self, inputs: Tuple[torch.Tensor]) -> Tuple[torch.Tensor]:
        """Fuse the backbone maps into one map at the finest resolution.

        Args:
            inputs (tuple[torch.Tensor]): Backbone feature maps, finest
                first.

        Returns:
            tuple[torch.Tensor]: One map of shape
            (N, out_channels, H_max, W_max).
        """
        feats = self._select(inputs)
        sizes = [tuple(x.shape[-2:]) for x in feats]
        if any(a[0] < b[0] or a[1] < b[1] for a, b in zip(sizes, sizes[1:])):
            raise ValueError(
                f'EfficientTopGAPFPN fuses the maps coarsest first and needs '
                f'them finest first, got sizes {sizes}.')
        out = None
        for conv, x in zip(reversed(self.convs), reversed(feats)):
            y = conv(x)
            if out is not None:
                if out.shape[-2:] != y.shape[-2:]:
                    out = F.interpolate(
                        out, size=y.shape[-2:], mode=self.upsample_mode)
                y = y + out
            out = y
        return (out, )
