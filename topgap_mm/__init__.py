"""Top-GAP for MMPretrain.

Importing this package registers its models, datasets and transforms into
MMPretrain's registries and applies the fixes of :mod:`topgap_mm.compat`.
"""
from . import compat  # noqa: F401  (must run before any checkpoint loads)
from .cam import normalize_cams, topgap_cams  # noqa: F401
from .datasets import *  # noqa: F401,F403
from .engine import *  # noqa: F401,F403
from .evaluation import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .models import PixelSpaceModel, to_pixel_space  # noqa: F401
from .version import __version__

__all__ = [
    '__version__', 'normalize_cams', 'topgap_cams', 'PixelSpaceModel',
    'to_pixel_space'
]
