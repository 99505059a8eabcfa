from .backbones import *  # noqa: F401,F403
from .backbones import __all__ as _backbones
from .classifiers import *  # noqa: F401,F403
from .classifiers import __all__ as _classifiers
from .data_preprocessor import (ChannelsLastClsDataPreprocessor,
                                use_channels_last)
from .heads import *  # noqa: F401,F403
from .heads import __all__ as _heads
from .losses import *  # noqa: F401,F403
from .losses import __all__ as _losses
from .necks import *  # noqa: F401,F403
from .necks import __all__ as _necks
from .pixel_space import PixelSpaceModel, to_pixel_space
from .utils import *  # noqa: F401,F403
from .utils import __all__ as _utils

# Listed, so that `from .models import *` in the package takes the classes
# and functions, not the subpackages: `models.utils` would hide
# `topgap_mm.utils`.
__all__ = _backbones + _classifiers + _heads + _losses + _necks + _utils + [
    'ChannelsLastClsDataPreprocessor', 'PixelSpaceModel', 'to_pixel_space',
    'use_channels_last'
]
