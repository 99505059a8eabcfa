"""Loading a trained classifier and its test set, for the analysis tools."""
import copy
from typing import Iterator, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from mmpretrain.registry import DATASETS, MODELS
from ..evaluation.batch_cams import pixel_images
from ..evaluation.ground_truth import labels_and_masks
from ..utils.checkpoint import check_checkpoint, check_checkpoint_file
from ..utils.files import check_exists


def load_config(config: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config file and merge command-line overrides into it."""
    check_exists(config, what='Config file')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_classifier(cfg: Config,
                     checkpoint: Optional[str],
                     device: str = 'cpu',
                     allow_partial: bool = False) -> nn.Module:
    """Build a config's model, load a checkpoint, and put it in eval mode.

    Args:
        cfg (Config): The config.
        checkpoint (str, optional): Checkpoint written by ``tools/train.py``
            (loaded with torch's safe unpickler, see ``topgap_mm.compat``);
            None keeps the initial weights.
        device (str): Device of the model.
        allow_partial (bool): Load only the keys that match; by default a
            checkpoint that does not fit the model is an error
            (:func:`check_checkpoint`).

    Returns:
        nn.Module: The model.
    """
    if checkpoint is not None:
        check_checkpoint_file(checkpoint)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model_cfg = copy.deepcopy(cfg.model)
    # As the Runner does: the top-level preprocessor (normalisation,
    # BGR->RGB) belongs to the model; without it MMPretrain's default is the
    # identity and every number computed from the model would be off.
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        check_checkpoint(model, checkpoint, allow_partial)
        load_checkpoint(
            model,
            checkpoint,
            map_location='cpu',
            strict=not allow_partial,
            logger='silent')
    return model.to(device).eval()


def load_classifier(config: str,
                    checkpoint: Optional[str],
                    cfg_options: Optional[dict] = None,
                    device: str = 'cpu',
                    allow_partial: bool = False) -> Tuple[nn.Module, Config]:
    """:func:`load_config` and :func:`build_classifier` in one go.

    Both files are checked before anything is built.

    Returns:
        tuple: The model (eval mode) and the merged config.
    """
    cfg = load_config(config, cfg_options)
    return build_classifier(cfg, checkpoint, device, allow_partial), cfg


def build_test_dataset(cfg: Config,
                       split: Optional[str] = None,
                       *,
                       extra_transforms: Sequence[dict] = (),
                       loader: str = 'test'):
    """The config's test dataset, optionally of another split and with
    transforms inserted before packing.

    Args:
        cfg (Config): The config (not modified).
        split (str, optional): Replaces the dataset's ``split``.
        extra_transforms (Sequence[dict]): Transforms to run right before
            the last (packing) transform of the pipeline.
        loader (str): Whose dataset: ``'test'`` (``test_dataloader``) or
            ``'val'`` (``val_dataloader``).

    Returns:
        The built dataset.
    """
    dataset_cfg = copy.deepcopy(cfg[f'{loader}_dataloader'].dataset)
    if split is not None:
        dataset_cfg['split'] = split
    if extra_transforms:
        pipeline = list(dataset_cfg.get('pipeline', []))
        if not pipeline or 'Pack' not in str(pipeline[-1].get('type', '')):
            raise ValueError(
                'The test pipeline must end with a packing transform '
                f'(PackInputs, PackMaskedInputs), got {pipeline}.')
        dataset_cfg['pipeline'] = pipeline[:-1] + list(
            extra_transforms) + pipeline[-1:]
    return DATASETS.build(dataset_cfg)


def num_to_take(dataset, num_samples: Optional[int]) -> int:
    """``num_samples`` capped at the dataset's length; None takes all."""
    return len(dataset) if num_samples is None else min(
        num_samples, len(dataset))


def iter_batches(dataset,
                 num_samples: Optional[int],
                 batch_size: int = 64) -> Iterator[dict]:
    """Collated batches (``pseudo_collate``, as a val/test dataloader makes
    them) of the first ``num_samples`` items of a dataset (None: all)."""
    total = num_to_take(dataset, num_samples)
    for start in range(0, total, batch_size):
        yield pseudo_collate(
            [dataset[i] for i in range(start, min(start + batch_size, total))])


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
    images: List[torch.Tensor] = []
    labels: List[torch.Tensor] = []
    for batch in iter_batches(dataset, num_samples, batch_size):
        num = len(batch['inputs'])
        images.append(pixel_images(model, batch, num))
        labels.append(labels_and_masks(batch, num)[0])
    return torch.cat(images), torch.cat(labels).to(images[0].device)
