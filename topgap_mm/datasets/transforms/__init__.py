from .formatting import PackMaskedInputs

__all__ = ['PackMaskedInputs']
from .geometric import (MaskedRandomCrop, MaskedRandomResizedCrop,  # noqa
                        MaskedResize, MaskedResizeEdge)
from .loading import LoadObjectMask  # noqa: E402

__all__ += [
    'LoadObjectMask', 'MaskedRandomCrop', 'MaskedRandomResizedCrop',
    'MaskedResize', 'MaskedResizeEdge'
]
