"""Deprecated: the former home of :mod:`topgap_mm.utils` (distributed
set-up, checkpoint checks) and :mod:`topgap_mm.analysis` (loading a trained
classifier and its data). Import from those instead."""
import warnings

from ..analysis import *  # noqa: F401,F403
from ..analysis import __all__ as _analysis_all
from ..utils import *  # noqa: F401,F403
from ..utils import __all__ as _utils_all

warnings.warn(
    '`topgap_mm.apis` is deprecated: import from `topgap_mm.utils` '
    '(checkpoint checks, distributed set-up) or `topgap_mm.analysis` '
    '(build_classifier, load_classifier, build_test_dataset, ...).',
    FutureWarning,
    stacklevel=2)

__all__ = _analysis_all + _utils_all
