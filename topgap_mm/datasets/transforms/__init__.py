from .formatting import PackMaskedInputs

__all__ = ['PackMaskedInputs']
from .geometric import (MaskedRandomCrop, MaskedRandomResizedCrop,  # noqa
                        MaskedResize, MaskedResizeEdge)
from .loading import LoadObjectBoxes, LoadObjectMask  # noqa: E402

__all__ += [
    'LoadObjectBoxes', 'LoadObjectMask', 'MaskedRandomCrop',
    'MaskedRandomResizedCrop', 'MaskedResize', 'MaskedResizeEdge'
]
