"""Loading a trained classifier and its test set for the analysis tools."""
import copy
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from mmpretrain.registry import DATASETS, MODELS
from ...models.pixel_space import to_pixel_space


def load_classifier(config: str,
                    checkpoint: Optional[str],
                    cfg_options: Optional[dict] = None,
                    device: str = 'cpu') -> Tuple[nn.Module, Config]:
    """Build a config's model, load a checkpoint, and put it in eval mode.

    Args:
        config (str): Config file.
        checkpoint (str, optional): Checkpoint written by ``tools/train.py``
            (loaded with torch's safe unpickler, see ``topgap_mm.compat``);
            None keeps the initial weights.
        cfg_options (dict, optional): Overrides merged into the config.
        device (str): Device of the model.

    Returns:
        tuple: The model and the merged config.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model_cfg = copy.deepcopy(cfg.model)
    # As the Runner does: the top-level preprocessor belongs to the model.
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu')
    return model.to(device).eval(), cfg


def build_test_dataset(cfg: Config,
                       extra_transforms: Sequence[dict] = ()):
    """The config's test dataset, with transforms inserted before packing.

    Args:
        cfg (Config): The config.
        extra_transforms (Sequence[dict]): Transforms to run right before
            the last (packing) transform of the test pipeline.

    Returns:
        The built dataset.
    """
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    pipeline = list(dataset_cfg.get('pipeline', []))
    if not pipeline or 'Pack' not in str(pipeline[-1].get('type', '')):
        raise ValueError(
            'The test pipeline must end with a packing transform '
            f'(PackInputs, PackMaskedInputs), got {pipeline}.')
    dataset_cfg['pipeline'] = pipeline[:-1] + list(
        extra_transforms) + pipeline[-1:]
    return DATASETS.build(dataset_cfg)


def collect_samples(dataset, model: nn.Module, num_samples: Optional[int],
                    batch_size: int = 64
                    ) -> Tuple[torch.Tensor, torch.Tensor]:
    """The first ``num_samples`` test samples as [0, 1] RGB images.

    Args:
        dataset: A dataset whose items are packed ``inputs`` and
            ``data_samples``.
        model (nn.Module): The classifier (channel order and device).
        num_samples (int, optional): How many samples; None takes all.
        batch_size (int): Samples loaded at once.

    Returns:
        tuple: ``images`` (N, 3, H, W) in [0, 1] and ``labels`` (N, ).
    """
    total = len(dataset) if num_samples is None else min(
        num_samples, len(dataset))
    images: List[torch.Tensor] = []
    labels: List[torch.Tensor] = []
    for start in range(0, total, batch_size):
        batch = pseudo_collate(
            [dataset[i] for i in range(start, min(start + batch_size, total))])
        images.append(to_pixel_space(batch['inputs'], model))
        labels += [s.gt_label.view(-1)[0] for s in batch['data_samples']]
    return torch.cat(images), torch.stack(labels).long().to(images[0].device)
