"""Channels-last input, the one switch that speeds up CNNs on CPU."""
import torch
from mmengine.config import Config

from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.registry import MODELS


@MODELS.register_module()
class ChannelsLastClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` whose image batches are channels-last (NHWC).

    A convolution whose input is channels-last returns channels-last, so
    this one change runs the whole network in that memory format, without
    touching the parameters or the checkpoints. With oneDNN on CPU it saves
    the NCHW round trips that bilinear upsampling and convolutions make,
    more for Top-GAP than for its standard twin (measured in
    ``benchmarks/RESULTS.md``). On GPUs it is the layout of mixed-precision
    tensor-core kernels. Values are those of
    ``ClsDataPreprocessor``; only the strides differ.

    Takes the arguments of ``ClsDataPreprocessor``.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        data = super().forward(data, training)
        inputs = data['inputs']
        if isinstance(inputs, torch.Tensor) and inputs.dim() == 4:
            data['inputs'] = inputs.contiguous(
                memory_format=torch.channels_last)
        return data


def use_channels_last(cfg: Config) -> Config:
    """Switch a classification config to
    :class:`ChannelsLastClsDataPreprocessor`, in place.

    The model's own ``data_preprocessor`` is changed when it has one, else
    the top-level one the runner gives the model.

    Raises:
        ValueError: If the config uses a data preprocessor other than
            ``ClsDataPreprocessor``, whose outputs this cannot convert.
    """
    if cfg.model.get('data_preprocessor') is not None:
        preprocessor = cfg.model.data_preprocessor
    else:
        cfg.data_preprocessor = cfg.get('data_preprocessor') or dict()
        preprocessor = cfg.data_preprocessor
    kind = str(preprocessor.get('type', 'ClsDataPreprocessor'))
    if kind.split('.')[-1] not in ('ClsDataPreprocessor',
                                   'ChannelsLastClsDataPreprocessor'):
        raise ValueError(
            f'Channels-last input needs the data preprocessor '
            f'`ClsDataPreprocessor`, but the config uses {kind!r}; set '
            f"`data_preprocessor.type='ChannelsLastClsDataPreprocessor'` "
            f'only with that preprocessor.')
    preprocessor['type'] = 'ChannelsLastClsDataPreprocessor'
    return cfg
