"""Clean accuracy and accuracy under torchattacks L-inf attacks."""
from typing import List, Optional, Sequence

import torch

from mmpretrain.registry import METRICS
from ...models.pixel_space import PixelSpaceModel
from ..batch_cams import pixel_images
from ..ground_truth import labels_and_masks
from ..metrics.model_metric import ModelMetric
from .attacks import (ATTACK_NAMES, attack_key, build_attack, check_eps,
                      predict)


@METRICS.register_module()
class RobustAccuracy(ModelMetric):
    """Accuracy on clean images and under each configured attack.

    Attacks come from torchattacks by name (``FGSM``, ``PGD``, ``APGD``,
    ``Square``; L-inf only) and run on [0, 1] RGB images through
    :class:`PixelSpaceModel`, which checks the range and reproduces the
    data preprocessor's normalisation, so ``eps`` is in pixel units
    (8/255 is 8 grey levels). Accuracy is over all evaluated samples: a
    sample misclassified clean counts as a failure under every attack.
    Values are fractions in [0, 1].

    Metric keys (prefix ``acc``): ``clean`` and one per attack, named by
    :func:`~.attacks.attack_key`, e.g. ``FGSM_eps8``, ``PGD-20_eps8``,
    ``Square-1000_eps8``, or the attack config's ``name``.

    Example::

        custom_hooks = [dict(type='AttachModelHook')]
        test_evaluator = [
            dict(type='Accuracy', topk=(1, )),
            dict(type='RobustAccuracy', max_samples=500, attacks=[
                dict(type='FGSM', eps=8 / 255),
                dict(type='PGD', eps=8 / 255, alpha=2 / 255, steps=20),
                dict(type='Square', eps=8 / 255, n_queries=1000),
            ]),
        ]

    Args:
        attacks (Sequence[dict]): Attack configs: ``type``, ``eps`` (in
            [0, 1]) and the torchattacks arguments of that attack.
        max_samples (int, optional): Evaluate at most this many samples.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Prefix of the metric names. Defaults to
            ``'acc'``.
    """

    default_prefix = 'acc'

    def __init__(self,
                 attacks: Sequence[dict] = (dict(type='FGSM', eps=8 / 255), ),
                 max_samples: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(
            max_samples=max_samples,
            collect_device=collect_device,
            prefix=prefix)
        self.attack_cfgs = [dict(cfg) for cfg in attacks]
        # Fail at build time, before any test data is read.
        for cfg in self.attack_cfgs:
            if cfg.get('type') not in ATTACK_NAMES:
                raise ValueError(f'Attack `type` must be one of '
                                 f'{ATTACK_NAMES}, got {cfg!r}.')
            check_eps(cfg.get('eps', 8 / 255))
            if 'alpha' in cfg:
                check_eps(cfg['alpha'], 'alpha')
        keys = [attack_key(cfg) for cfg in self.attack_cfgs]
        if len(set(keys)) != len(keys) or 'clean' in keys:
            raise ValueError(f'Attack names must be unique and not "clean", '
                             f'got {keys}; set `name` in the attack configs.')
        self.keys = keys

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        num = self.take(len(data_batch['inputs']))
        if num == 0:
            return
        images = pixel_images(self.model, data_batch, num)
        labels = labels_and_masks(data_batch, num)[0].to(images.device)
        model = PixelSpaceModel(self.model)
        correct = dict(clean=predict(model, images) == labels)
        for key, cfg in zip(self.keys, self.attack_cfgs):
            # The val/test loops run under no_grad; the attacks need input
            # gradients.
            with torch.enable_grad():
                adversarial = build_attack(cfg, model)(images, labels)
            correct[key] = predict(model, adversarial) == labels
        self.results.extend(
            dict(zip(correct, values))
            for values in zip(*[v.tolist() for v in correct.values()]))

    def compute_metrics(self, results: List[dict]) -> dict:
        if not results:
            raise ValueError('RobustAccuracy received no samples.')
        return {
            key: sum(r[key] for r in results) / len(results)
            for key in ['clean'] + self.keys
        }
