"""B-cos ResNets (Böhle et al., CVPR 2022; B-cos v2, TPAMI 2024) as
MMPretrain classifiers, built by the ``bcos`` package.

The network is the package's own (``bcos.models.resnet``); this module only
splits it into the ``backbone`` and ``head`` that MMPretrain's
``ImageClassifier`` and this plugin's CAM methods and metrics expect, and
supplies what the package leaves to its training scripts: the [x, 1 - x]
input encoding and the BCE loss on one-hot labels.
"""
import inspect
import math
from functools import partial
from typing import Callable, List, Optional, Sequence, Tuple

import bcos.models.resnet as bcos_resnet
import bcos.modules as bcos_modules
import bcos.modules.norms as bcos_norms
import torch
import torch.nn as nn
from bcos.data.transforms import AddInverse
from bcos.modules.losses import (BinaryCrossEntropyLoss,
                                 UniformOffLabelsBCEWithLogitsLoss)

from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

# The package's losses take (logits, labels) and turn integer labels into
# one-hot targets themselves, as its training scripts use them.
MODELS.register_module('BcosBinaryCrossEntropyLoss',
                       module=BinaryCrossEntropyLoss)
MODELS.register_module('BcosUniformOffLabelsBCELoss',
                       module=UniformOffLabelsBCEWithLogitsLoss)

#: The package's ResNet builders (``resnet18``, ``cifar10_resnet20``, ...).
ARCHS = tuple(name for name in bcos_resnet.__all__ if name != 'BcosResNet')
#: The B-cos convolutions of ``bcos.modules``.
CONV_LAYERS = ('BcosConv2d', 'BcosConv2dWithScale')
#: The norms of ``bcos.modules.norms`` (centred and uncentred).
NORM_LAYERS = tuple(
    name for name in dir(bcos_norms)
    if name[0].isupper() and name not in ('NoBias', 'Unaffine'))
#: Arguments of the package's ``BcosResNet`` a config may set besides
#: ``num_classes``, ``conv_layer``, ``norm_layer`` and ``logit_bias``
#: (``in_chans`` is the encoding's 6).
BUILDER_KWARGS = frozenset(
    inspect.signature(bcos_resnet.BcosResNet).parameters) - {
        'block', 'layers', 'num_classes', 'conv_layer', 'norm_layer',
        'logit_bias', 'kwargs', 'in_chans'
    }
#: What ``BcosImageClassifier``'s ``head`` may hold.
HEAD_KEYS = frozenset(
    {'num_classes', 'logit_bias', 'logit_temperature', 'loss', 'topk'})
#: Images in [0, 1] may come back from float arithmetic a few ulps outside.
RANGE_SLACK = 1e-4


def _conv_layer(conv_cfg: dict) -> Callable[..., nn.Module]:
    cfg = dict(conv_cfg)
    name = cfg.pop('type', 'BcosConv2d')
    if name not in CONV_LAYERS:
        raise ValueError(f'`conv_cfg.type` must be one of {CONV_LAYERS}, got '
                         f'{name!r}.')
    return partial(getattr(bcos_modules, name), **cfg)


def _norm_layer(norm_cfg: Optional[dict]) -> Callable[..., nn.Module]:
    if norm_cfg is None:
        return nn.Identity
    cfg = dict(norm_cfg)
    name = cfg.pop('type', None)
    if name not in NORM_LAYERS:
        raise ValueError(f'`norm_cfg.type` must be one of {NORM_LAYERS}, got '
                         f'{name!r}.')
    bias = cfg.pop('bias', True)
    layer = partial(getattr(bcos_norms, name), **cfg)
    # NoBias sets the bias to None after construction, keeping the weight:
    # B-cos v2's ImageNet models ("bnu-linear"), exactly dynamic linear.
    return layer if bias else bcos_norms.NoBias(layer)


class BcosResNetBackbone(nn.Module):
    """The feature layers of a package ``BcosResNet`` behind the [x, 1 - x]
    encoding.

    B-cos layers weigh a patch by its direction's alignment with their
    weights, so a black pixel (all zeros) could neither align nor
    contribute; B-cos therefore feeds
    ``[r, g, b, 1 - r, 1 - g, 1 - b]`` of the [0, 1] image
    (``bcos.data.transforms.AddInverse``) and no mean/std normalisation
    (its data presets append ``AddInverse`` instead of ``Normalize``). The
    encoding is the first step here, so the data preprocessor, the attacks
    and every metric keep seeing 3-channel [0, 1] images; a map of the
    encoding (``encode``'s output) is what B-cos explains.

    The modules are the package network's own, under its names (``conv1``,
    ``bn1``, ``layer1``... ``layer4``), and ``forward`` is its
    ``forward_features``.

    Args:
        net (BcosResNet): The package network that owns the layers.
    """

    def __init__(self, net: bcos_resnet.BcosResNet):
        super().__init__()
        self.encode = AddInverse()
        self.in_channels = net.conv1.in_channels // 2
        for name in ('conv1', 'bn1', 'pool', 'layer1', 'layer2', 'layer3',
                     'layer4'):
            setattr(self, name, getattr(net, name))
        # Not a submodule: its layers are registered above (one copy in the
        # state dict), and it runs them in the package's order.
        object.__setattr__(self, '_net', net)

    def forward(self, inputs: torch.Tensor) -> Tuple[torch.Tensor]:
        """The last feature map of the encoded [0, 1] images.

        Args:
            inputs (torch.Tensor): RGB images (N, 3, H, W) in [0, 1].

        Returns:
            tuple[torch.Tensor]: The map (N, C, h, w).
        """
        if inputs.dim() != 4 or inputs.shape[1] != self.in_channels:
            raise ValueError(
                f'BcosResNetBackbone expects images (N, {self.in_channels}, '
                f'H, W), got {tuple(inputs.shape)}.')
        low, high = inputs.min().item(), inputs.max().item()
        if low < -RANGE_SLACK or high > 1 + RANGE_SLACK:
            raise ValueError(
                f'B-cos encodes [0, 1] images as [x, 1 - x], got values in '
                f'[{low:.3f}, {high:.3f}]: set the data preprocessor to '
                f'`mean=[0, 0, 0], std=[255, 255, 255]` (no normalisation).')
        return (self._net.forward_features(self.encode(inputs)), )


class BcosClsHead(ClsHead):
    """The package network's classifier: a B-cos 1x1 convolution per
    position, average pooling and its ``LogitLayer``, trained with the
    package's BCE on one-hot labels.

    Args:
        net (BcosResNet): The package network that owns the layers.
        num_classes (int): Number of classes.
        loss (dict | nn.Module): The loss, called as ``loss(logits,
            target)`` with integer labels or the ``gt_score`` of batch
            augments.
        topk (int | tuple[int]): As in ``ClsHead``.
        init_cfg (dict, optional): As in ``ClsHead``.
    """

    def __init__(self,
                 net: bcos_resnet.BcosResNet,
                 num_classes: int,
                 loss: dict,
                 topk: Sequence[int] = (1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(loss=loss, topk=topk, init_cfg=init_cfg)
        self.num_classes = num_classes
        self.fc = net.fc
        self.avgpool = net.avgpool
        self.logit_layer = net.logit_layer

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Logits (N, num_classes), as the package network's ``forward``
        computes them after ``forward_features``."""
        x = self.fc(self.pre_logits(feats))
        return self.logit_layer(self.avgpool(x).flatten(1))

    def _get_loss(self, cls_score: torch.Tensor,
                  data_samples: List[DataSample], **kwargs) -> dict:
        if 'gt_score' in data_samples[0]:
            target = torch.stack([s.gt_score for s in data_samples])
        else:
            target = torch.cat([s.gt_label for s in data_samples])
        # The package's losses take no `avg_factor`: they average already.
        return dict(loss=self.loss_module(cls_score, target, **kwargs))


def build_bcos_resnet(arch: str,
                      num_classes: int,
                      conv_cfg: Optional[dict] = None,
                      norm_cfg: Optional[dict] = dict(
                          type='BatchNormUncentered2d'),
                      logit_bias: Optional[float] = None,
                      **kwargs) -> bcos_resnet.BcosResNet:
    """A ``BcosResNet`` from the package's builder, with its layers given
    as config dicts.

    Args:
        arch (str): A builder of ``bcos.models.resnet``, one of
            :data:`ARCHS`, e.g. ``'resnet18'`` or ``'cifar10_resnet20'``.
        num_classes (int): Number of classes, at least 2.
        conv_cfg (dict, optional): The B-cos convolution: ``type`` one of
            :data:`CONV_LAYERS`, the rest its arguments (``b``,
            ``max_out``). Defaults to ``dict(type='BcosConv2d', b=2,
            max_out=2)``, the layer of the package's CIFAR-10 ResNets.
        norm_cfg (dict, optional): ``type`` one of :data:`NORM_LAYERS`,
            ``bias=False`` to drop its bias (then the network is exactly
            dynamic linear), the rest its arguments; None for no norm.
            Defaults to ``dict(type='BatchNormUncentered2d')``.
        logit_bias (float, optional): Added to every logit; None for
            ``-log(num_classes - 1)``, the value of the package's configs
            (each sigmoid output starts near the 1 / num_classes prior).
        **kwargs: More arguments of the package's ``BcosResNet``, e.g.
            ``small_inputs``, ``inplanes``, ``logit_temperature``,
            ``stochastic_depth_prob``.

    Raises:
        ValueError: Naming the argument that the package cannot take.
    """
    if arch not in ARCHS:
        raise ValueError(f'`arch` must be one of {ARCHS}, got {arch!r}.')
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f'`num_classes` must be an int >= 2, got '
                         f'{num_classes!r}.')
    if logit_bias is None:
        logit_bias = -math.log(num_classes - 1)
    elif logit_bias == 0:
        # The package reads `logit_bias or -log(C - 1)`.
        raise ValueError('`logit_bias=0` is replaced by the package with '
                         '-log(num_classes - 1); give None for that default '
                         'or a non-zero value.')
    unknown = set(kwargs) - BUILDER_KWARGS
    if unknown:
        # The package would print and ignore them.
        raise ValueError(f'Unknown B-cos ResNet arguments {sorted(unknown)}; '
                         f'the builder takes {sorted(BUILDER_KWARGS)}.')
    return getattr(bcos_resnet, arch)(
        num_classes=num_classes,
        conv_layer=_conv_layer(conv_cfg
                               or dict(type='BcosConv2d', b=2, max_out=2)),
        norm_layer=_norm_layer(norm_cfg),
        logit_bias=logit_bias,
        **kwargs)


@MODELS.register_module()
class BcosImageClassifier(ImageClassifier):
    """A B-cos ResNet of the ``bcos`` package as an MMPretrain classifier.

    The package's builder makes the network (:func:`build_bcos_resnet`);
    its feature layers become the ``backbone`` (:class:`BcosResNetBackbone`,
    which adds the [x, 1 - x] encoding) and its classifier the ``head``
    (:class:`BcosClsHead`). ``backbone`` and ``head`` therefore hold the
    network's arguments, not registry types, split as MMPretrain configs
    split them (``model.head.num_classes`` where every tool looks for it).
    The data preprocessor must only scale images to [0, 1] (``mean=[0, 0,
    0], std=[255, 255, 255]``); the backbone refuses anything else.
    :attr:`bcos_model` is the package network on the same modules, for the
    package's own ``explain`` and plotting utilities.

    Args:
        backbone (dict): ``arch``, ``conv_cfg``, ``norm_cfg`` and further
            arguments of the package's ``BcosResNet``, see
            :func:`build_bcos_resnet`.
        head (dict): ``num_classes``, optional ``logit_bias`` and
            ``logit_temperature`` (see :func:`build_bcos_resnet`), ``loss``
            (default ``dict(type='BcosBinaryCrossEntropyLoss')``, the
            package's BCE on one-hot labels) and ``topk``.
        train_cfg (dict, optional): As in ``ImageClassifier`` (batch
            augments).
        data_preprocessor (dict | nn.Module, optional): As in
            ``ImageClassifier``.
        init_cfg (dict, optional): As in ``ImageClassifier``; the package
            initialises the layers itself.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        backbone, head = dict(backbone), dict(head)
        if 'type' in backbone or 'type' in head:
            raise ValueError(
                '`backbone` and `head` of a BcosImageClassifier hold the '
                'arguments of the bcos network (see build_bcos_resnet), not '
                'registry types; drop their `type`.')
        misplaced = set(head) - HEAD_KEYS | set(head) & set(backbone)
        if misplaced:
            raise ValueError(
                f'`head` may hold {sorted(HEAD_KEYS)}, the rest belongs in '
                f'`backbone`; got {sorted(misplaced)} in `head`.')
        if 'num_classes' not in head:
            raise ValueError('`head.num_classes` is required.')
        loss = head.pop('loss', dict(type='BcosBinaryCrossEntropyLoss'))
        topk = head.pop('topk', (1, ))
        net = build_bcos_resnet(**backbone, **head)
        super().__init__(backbone=BcosResNetBackbone(net),
                         head=BcosClsHead(net,
                                          head['num_classes'],
                                          loss,
                                          topk=topk),
                         train_cfg=train_cfg,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        # The package network on this classifier's modules (shared, not
        # copied); kept off the module tree so that the state dict and the
        # optimiser see each parameter once.
        object.__setattr__(self, '_bcos_net', net)

    @property
    def bcos_model(self) -> bcos_resnet.BcosResNet:
        """The package's ``BcosResNet`` made of this classifier's modules,
        in this classifier's train/eval mode. It takes the 6-channel
        encoding (``self.backbone.encode(images)``) and has the package's
        ``explain``, ``explanation_mode`` and ``plot_contribution_map``."""
        net = self._bcos_net
        net.training = self.training
        return net
