"""Attack distance (Definition 7 of the paper): FGSM on object vs.
background pixels."""
from typing import List, Optional, Sequence

import torch

from mmpretrain.registry import METRICS
from ...models.pixel_space import PixelSpaceModel
from ..batch_cams import pixel_images
from ..ground_truth import labels_and_masks
from ..metrics.model_metric import ModelMetric
from .attacks import check_eps, input_gradient, predict


@METRICS.register_module()
class AttackDistance(ModelMetric):
    """SAR(O) - SAR(B): how much more an attack on the object hurts.

    For every image, one FGSM step of size ``eps`` (the sign of the
    cross-entropy gradient w.r.t. the [0, 1] RGB pixels, computed through
    :class:`PixelSpaceModel`) is applied only on the object pixels
    (``gt_object_mask == 1``) to give image O, and only on the background
    pixels (``gt_object_mask == 0``) to give image B. Pixels marked 255
    (ignore) are never perturbed. Both images share the one gradient of
    the clean image, so they differ only in where the step is applied.
    torchattacks' FGSM cannot restrict its step to a region, so the step is
    computed here (:func:`~.attacks.fgsm`'s formula).

    The successful attack rate is ``SAR = 1 - accuracy`` on the perturbed
    images, over **all** evaluated samples as in the paper, so a sample
    misclassified before the attack also counts as a success; clean
    accuracy is reported to read it against. All values are fractions in
    [0, 1], as in the paper's tables.

    Needs ``custom_hooks = [dict(type='AttachModelHook')]`` and data
    samples with ``gt_object_mask`` (``PackMaskedInputs``).

    Metric keys (with the prefix ``attack_distance`` by default):
    ``clean_acc``, ``sar_object``, ``sar_background`` and
    ``attack_distance``.

    Args:
        eps (float): FGSM step on [0, 1] pixels, in [0, 1]. Defaults to
            1/255 (the paper's +-1 on 0-255 images).
        max_samples (int, optional): Evaluate at most this many samples.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Prefix of the metric names. Defaults to
            ``'attack_distance'``.
    """

    default_prefix = 'attack_distance'

    def __init__(self,
                 eps: float = 1 / 255,
                 max_samples: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(
            max_samples=max_samples,
            collect_device=collect_device,
            prefix=prefix)
        self.eps = check_eps(eps)

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        num = self.take(len(data_batch['inputs']))
        if num == 0:
            return
        labels, masks = labels_and_masks(data_batch, num, with_masks=True)
        images = pixel_images(self.model, data_batch, num)
        labels = labels.to(images.device)
        masks = torch.stack(masks).to(images.device)
        results = self.attack(PixelSpaceModel(self.model), images, labels,
                              masks, self.eps)
        self.results.extend(
            dict(zip(results, values))
            for values in zip(*[v.tolist() for v in results.values()]))

    @staticmethod
    def attack(model: PixelSpaceModel, images: torch.Tensor,
               labels: torch.Tensor, masks: torch.Tensor,
               eps: float) -> dict:
        """Per-sample correctness on clean, object- and background-attacked
        images.

        Args:
            model (PixelSpaceModel): The model of [0, 1] images.
            images (torch.Tensor): (N, 3, H, W) images in [0, 1].
            labels (torch.Tensor): (N, ) labels.
            masks (torch.Tensor): (N, H, W) masks: 1 object, 0 background,
                anything else ignored.
            eps (float): FGSM step.

        Returns:
            dict[str, torch.Tensor]: Boolean (N, ) tensors ``clean``,
            ``object`` and ``background``: whether each sample is
            classified correctly.
        """
        eps = check_eps(eps)
        step = eps * input_gradient(model, images, labels).sign()
        correct = dict(clean=predict(model, images) == labels)
        for name, value in (('object', 1), ('background', 0)):
            region = (masks == value).unsqueeze(1).to(images.dtype)
            attacked = (images + step * region).clamp(0, 1)
            correct[name] = predict(model, attacked) == labels
        return correct

    def compute_metrics(self, results: List[dict]) -> dict:
        if not results:
            raise ValueError('AttackDistance received no samples.')
        mean = {
            key: sum(r[key] for r in results) / len(results)
            for key in ('clean', 'object', 'background')
        }
        sar_object = 1.0 - mean['object']
        sar_background = 1.0 - mean['background']
        return dict(
            clean_acc=mean['clean'],
            sar_object=sar_object,
            sar_background=sar_background,
            attack_distance=sar_object - sar_background)
