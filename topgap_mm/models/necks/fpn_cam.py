"""The simplified FPN that feeds the Top-GAP head (Fig. 2 of the paper)."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mmpretrain.registry import MODELS
from ..utils import check_upsample_mode, sum_at_finest


@MODELS.register_module()
class TopGAPFPN(BaseModule):
    """Simplified feature pyramid for Top-GAP.

    Each of the last ``len(in_channels)`` backbone feature maps goes through
    its own convolution with ``out_channels`` filters; the results are
    upsampled to the size of the largest map and summed. Unlike the FPN of
    object detection there is no top-down pathway and no output per level:
    one map at the finest resolution, so the CAM computed from it is as
    large as the largest backbone feature map.

    With ``fuse=False`` the neck returns the per-level maps instead and
    :class:`TopGAPClsHead` fuses them. With at most ``out_channels / 4``
    classes the head then applies its 1x1 convolution before the
    upsampling: the same CAM (both are linear), with the upsampling and the
    sum on ``num_classes`` channels instead of ``out_channels``, which makes
    a training step with few classes faster (``benchmarks/RESULTS.md``);
    with more classes it fuses first, as the neck would. Parameters and
    checkpoints are the same either way.

    Args:
        in_channels (Sequence[int]): Channels of the backbone feature maps
            used, finest first. The neck uses the last
            ``len(in_channels)`` maps the backbone returns, so a backbone
            may return more.
        out_channels (int): Filters of every convolution. Defaults to 256.
        kernel_size (int): Kernel size of the convolutions. Defaults to 3.
        norm_cfg (dict, optional): Normalisation after each convolution.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict, optional): Activation after each convolution.
            Defaults to ``dict(type='ReLU')``.
        upsample_mode (str): Interpolation used to bring the coarser maps to
            the finest size. Defaults to ``'bilinear'``, which keeps the CAM
            free of the blocky pattern of nearest upsampling. With
            ``fuse=False`` the head upsamples, with its own
            ``upsample_mode``.
        fuse (bool): Return the fused map (True) or the per-level maps,
            finest first, for the head to fuse (False). Defaults to True.
        init_cfg (dict, optional): Initialisation config.

    Examples:
        >>> import torch
        >>> channels, sizes = [64, 128, 256, 512], [16, 8, 4, 2]
        >>> inputs = tuple(torch.rand(1, c, s, s)
        ...                for c, s in zip(channels, sizes))
        >>> [x.shape for x in TopGAPFPN(in_channels=channels)(inputs)]
        [torch.Size([1, 256, 16, 16])]
        >>> neck = TopGAPFPN(in_channels=channels, fuse=False)
        >>> [tuple(x.shape[-2:]) for x in neck(inputs)]  # for the head
        [(16, 16), (8, 8), (4, 4), (2, 2)]
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int = 256,
                 kernel_size: int = 3,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 upsample_mode: str = 'bilinear',
                 fuse: bool = True,
                 init_cfg: Optional[dict] = dict(
                     type='Kaiming', layer='Conv2d')):
        super().__init__(init_cfg=init_cfg)
        if isinstance(in_channels, int) or len(in_channels) == 0:
            raise ValueError(
                f'`in_channels` must list the channels of each backbone map '
                f'used, e.g. [64, 128, 256, 512]; got {in_channels!r}.')
        check_upsample_mode(upsample_mode)
        self.in_channels = tuple(in_channels)
        self.out_channels = out_channels
        self.upsample_mode = upsample_mode
        self.fuse = fuse
        self.convs = nn.ModuleList(
            ConvModule(
                c,
                out_channels,
                kernel_size,
                padding=kernel_size // 2,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg) for c in self.in_channels)

    def _select(self, inputs: Tuple[torch.Tensor]) -> Tuple[torch.Tensor]:
        """Pick the maps this neck uses and check their channels."""
        if isinstance(inputs, torch.Tensor):
            inputs = (inputs, )
        num = len(self.in_channels)
        if len(inputs) < num:
            raise ValueError(
                f'TopGAPFPN has `in_channels`={list(self.in_channels)} '
                f'({num} maps) but the backbone returned {len(inputs)} maps '
                f'with channels {[x.shape[1] for x in inputs]}; set the '
                f"backbone's `out_indices` to return at least {num} maps.")
        feats = tuple(inputs[-num:])
        got = [x.shape[1] for x in feats]
        if got != list(self.in_channels):
            raise ValueError(
                f'TopGAPFPN `in_channels`={list(self.in_channels)} does not '
                f'match the channels of the last {num} backbone maps: {got}.')
        return feats

    def forward(self, inputs: Tuple[torch.Tensor]) -> Tuple[torch.Tensor]:
        """Fuse the backbone maps into one map at the finest resolution.

        Args:
            inputs (tuple[torch.Tensor]): Backbone feature maps.

        Returns:
            tuple[torch.Tensor]: One map of shape
            (N, out_channels, H_max, W_max); with ``fuse=False`` one map
            (N, out_channels, H_i, W_i) per level, finest first.
        """
        levels = [conv(x) for conv, x in zip(self.convs, self._select(inputs))]
        if not self.fuse:
            return tuple(levels)
        return (sum_at_finest(levels, self.upsample_mode), )
