from .backbones import *  # noqa: F401,F403
from .classifiers import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
from .pixel_space import PixelSpaceModel, to_pixel_space  # noqa: F401
from .data_preprocessor import (  # noqa: F401
    ChannelsLastClsDataPreprocessor, use_channels_last)
