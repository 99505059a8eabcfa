"""The Top-GAP classification head: a 1x1 convolution to CAMs, then Top-GAP."""
from typing import List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from ..utils import TopGAP, check_upsample_mode, sum_at_finest


@MODELS.register_module()
class TopGAPClsHead(ClsHead):
    """Classification head whose output map is the CAM.

    Optional dropout, then a 1x1 convolution with ``num_classes`` filters
    gives one activation map per class at the resolution of the neck's
    output; Top-GAP pooling turns each map into a score. Training adds the
    L1 penalty on the CAM (``loss_l1``) to the classification loss
    (``loss_cls``); both are logged as separate terms.

    The head takes the neck's one map, or the per-level maps of
    ``TopGAPFPN(fuse=False)``, which it upsamples to the finest size and
    sums as the neck would. With at most ``in_channels / 4`` classes it
    applies the 1x1 convolution to each level first: the same CAM with
    less to upsample (its speed: ``docs/en/advanced_guides/speed.md``).
    With dropout, that order drops units of each level rather than of
    their sum.

    Training from scratch, the 1x1 convolution needs a tenth of the
    learning rate (``paramwise_cfg=dict(custom_keys={'head.conv_cam':
    dict(lr_mult=0.1)})``), or the L1 term may crush the CAM to chance
    before the classifier learns: why, and what was measured, in
    ``docs/en/advanced_guides/training_from_scratch.md``.
    :class:`CAMCollapseHook` warns when a run stalls.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of each map the neck outputs.
        k (int | float, optional): Positions each class may use; an int
            counts CAM positions, a float in (0, 1] is a fraction of the CAM
            area. ``k=1`` is global max pooling, ``k=H*W`` is GAP. Give
            either ``k`` (Top-GAP) or ``pool``.
        pool (dict | nn.Module, optional): Another pooling of the CAM into
            scores, e.g. ``dict(type='WildcatPool', kmax=0.1, kmin=0.1,
            alpha=0.7)``, ``dict(type='LogSumExpPool', r=5)``,
            ``dict(type='CAMMaxPool')``, ``dict(type='CAMAvgPool')``
            or ``dict(type='TopGAP', k=256)`` (the same as ``k=256``); see
            :mod:`topgap_mm.models.utils.cam_pools`.
        dropout (float): Dropout probability in front of the 1x1
            convolution. Defaults to 0.
        upsample_mode (str): Interpolation of the levels when the head
            gets several maps. Defaults to ``'bilinear'``, the neck's.
        loss (dict): Classification loss on the Top-GAP scores. Defaults to
            ``dict(type='CrossEntropyLoss', loss_weight=1.0)``.
        l1_loss (dict, optional): Sparsity loss on the CAM; ``None`` trains
            without it. Defaults to ``dict(type='CAML1Loss',
            loss_weight=1.0)``.
        topk (int | tuple[int]): Top-k accuracy. Defaults to ``(1, )``.
        cal_acc (bool): Log training accuracy. Defaults to False.
        keep_cams (bool): At prediction, store each image's raw CAM of the
            predicted class as ``pred_cam`` and, when the sample has a
            ``gt_label``, of that class as ``gt_cam`` (both (H, W), at the
            CAM's resolution) in its ``DataSample``. The CAM metrics switch
            this on when they are attached to the model, so that they read
            the map of the test forward pass instead of running the model
            again; result dumps (``--out``) then hold these maps too.
            Defaults to False.
        init_cfg (dict, optional): Initialisation config.

    Examples:
        >>> import torch
        >>> head = TopGAPClsHead(num_classes=3, in_channels=16, k=4)
        >>> feats = (torch.rand(2, 16, 8, 8), )  # the neck's map
        >>> head(feats).shape  # one score per class: the top-4 mean
        torch.Size([2, 3])
        >>> head.forward_cam(feats).shape  # the CAM: one map per class
        torch.Size([2, 3, 8, 8])
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 k: Optional[Union[int, float]] = None,
                 dropout: float = 0.0,
                 pool: Optional[Union[dict, nn.Module]] = None,
                 upsample_mode: str = 'bilinear',
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 l1_loss: Optional[dict] = dict(
                     type='CAML1Loss', loss_weight=1.0),
                 topk: Union[int, Tuple[int]] = (1, ),
                 cal_acc: bool = False,
                 keep_cams: bool = False,
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer='Conv2d', std=0.01),
                 **kwargs):
        super().__init__(
            loss=loss, topk=topk, cal_acc=cal_acc, init_cfg=init_cfg, **kwargs)
        if num_classes <= 0:
            raise ValueError(
                f'`num_classes`={num_classes} must be a positive integer.')
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f'`dropout`={dropout} must lie in [0, 1).')
        check_upsample_mode(upsample_mode)
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.upsample_mode = upsample_mode
        if (k is None) == (pool is None):
            raise ValueError(
                'TopGAPClsHead needs exactly one of `k` (Top-GAP) and `pool` '
                f'(another CAM pooling), got k={k!r} and pool={pool!r}; '
                'with `pool` over a config that sets `k`, also set k=None.')
        if pool is None:
            self.pool = TopGAP(k)
        else:
            self.pool = pool if isinstance(pool, nn.Module) else \
                MODELS.build(pool)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.conv_cam = nn.Conv2d(in_channels, num_classes, kernel_size=1)
        if l1_loss is not None and not isinstance(l1_loss, nn.Module):
            l1_loss = MODELS.build(l1_loss)
        self.l1_loss_module = l1_loss
        self.keep_cams = keep_cams

    @property
    def k(self) -> Optional[Union[int, float]]:
        """The Top-GAP parameter; None with another pooling."""
        return getattr(self.pool, 'k', None)

    def forward_cam(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Raw class activation maps of shape (N, num_classes, H, W), at
        the size of the largest map in ``feats``."""
        for x in feats:
            if x.dim() != 4 or x.shape[1] != self.in_channels:
                raise ValueError(
                    f'TopGAPClsHead expects maps of shape (N, `in_channels`='
                    f'{self.in_channels}, H, W) from the neck (one map, or '
                    f'one per level from TopGAPFPN(fuse=False)), got '
                    f'{[tuple(x.shape) for x in feats]}.')
        if len(feats) == 1:
            return self.conv_cam(self.dropout(feats[0]))
        if 4 * self.num_classes > self.in_channels:
            return self.conv_cam(
                self.dropout(sum_at_finest(feats, self.upsample_mode)))
        cams = [F.conv2d(self.dropout(x), self.conv_cam.weight) for x in feats]
        return (sum_at_finest(cams, self.upsample_mode) +
                self.conv_cam.bias[:, None, None])

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Top-GAP scores of shape (N, num_classes)."""
        return self.pool(self.forward_cam(feats))

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> dict:
        """Classification loss on the pooled scores plus L1 on the CAM.

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_l1`` (when enabled) and,
            with ``cal_acc``, the training accuracy.
        """
        cam = self.forward_cam(feats)
        losses = self._get_loss(self.pool(cam), data_samples, **kwargs)
        losses['loss_cls'] = losses.pop('loss')
        if self.l1_loss_module is not None:
            losses['loss_l1'] = self.l1_loss_module(cam)
        return losses

    def predict(self,
                feats: Tuple[torch.Tensor],
                data_samples: Optional[List[Optional[DataSample]]] = None
                ) -> List[DataSample]:
        """Predictions from the Top-GAP scores, with the CAMs when
        ``keep_cams`` is set.

        Returns:
            list[DataSample]: ``pred_label`` and ``pred_score`` per image,
            plus ``pred_cam`` and ``gt_cam`` with ``keep_cams``.
        """
        cam = self.forward_cam(feats)
        predictions = self._get_predictions(self.pool(cam), data_samples)
        if self.keep_cams:
            # Copies, not views: a view would keep (and a dump would
            # pickle) every class's map of the whole batch.
            cam = cam.detach()
            for maps, sample in zip(cam, predictions):
                sample.set_field(maps[sample.pred_label[0]].clone(),
                                 'pred_cam')
                if 'gt_label' in sample:
                    sample.set_field(maps[sample.gt_label[0]].clone(),
                                     'gt_cam')
        return predictions
