"""The original CAM (Zhou et al. 2016) of a GAP + linear classifier."""
from typing import List, Optional

import torch
import torch.nn as nn

from mmpretrain.models.heads import LinearClsHead
from mmpretrain.models.necks import GlobalAveragePooling
from mmpretrain.structures import DataSample
from .classifier_parts import backbone_maps, check_classifier_inputs
from .normalize import normalize_cams
from .tokens import is_token_backbone
from .topgap_cam import Target, select_classes


def original_cams(model: nn.Module,
                  inputs: torch.Tensor,
                  target: Target = 'gt',
                  data_samples: Optional[List[DataSample]] = None,
                  positive_part: bool = False) -> torch.Tensor:
    """Original CAMs of a GAP + linear classifier, normalised.

    For the chosen class ``c`` the map is ``sum_k w[c, k] * F_k``: the
    linear layer's weights applied at every position of the last backbone
    map ``F``. Since GAP and the linear layer commute, this is the map whose
    average is the logit. The bias is left out: it adds the same constant
    at every position, which the per-image min-max of
    :func:`normalize_cams` removes.

    The model's train/eval mode is left as it is; call it in eval mode so
    that BatchNorm uses (and does not update) its running statistics.

    Args:
        model (nn.Module): An ``ImageClassifier`` with a
            ``GlobalAveragePooling`` neck (``dim=2``) and a
            ``LinearClsHead``.
        inputs (torch.Tensor): Preprocessed images (N, 3, H, W).
        target: Which class's map, see :func:`select_classes`.
        data_samples (list[DataSample], optional): Needed for
            ``target='gt'``.
        positive_part (bool): Drop the map's negative values (evidence
            against the class) before the min-max scaling, for scores that
            sum the map. Defaults to False.

    Returns:
        torch.Tensor: CAMs of shape (N, H, W) in [0, 1], on the device of
        ``inputs``.

    Raises:
        TypeError: For a model that is not GAP + ``LinearClsHead``.
        ValueError: For inputs that are not a batch of images.
    """
    check_classifier_inputs(model, inputs, 'original CAM')
    neck, head = getattr(model, 'neck', None), model.head
    # Subclasses of LinearClsHead may change `pre_logits`, after which the
    # linear weights no longer act on the pooled map alone.
    if (type(head) is not LinearClsHead
            or not isinstance(neck, GlobalAveragePooling)
            or not isinstance(neck.gap, nn.AdaptiveAvgPool2d)):
        others = ("method='gradcam' (any out_type)"
                  if is_token_backbone(model.backbone) else
                  "method='gradcam' or 'recipro_cam' (any head) or 'topgap' "
                  '(Top-GAP models)')
        raise TypeError(
            f'original CAM needs a GlobalAveragePooling (dim=2) neck and a '
            f'LinearClsHead, got neck {type(neck).__name__} and head '
            f'{type(head).__name__}; use {others}.')
    with torch.no_grad():
        feats = backbone_maps(model, inputs)
        scores = head(neck(feats))
        classes = select_classes(target, scores, data_samples)
        cams = torch.einsum('nchw,nc->nhw', feats[-1],
                            head.fc.weight[classes])
    return normalize_cams(cams, inputs.shape[-2:], positive_part)
