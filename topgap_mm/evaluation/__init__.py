from .metrics import *  # noqa: F401,F403
from .robustness import *  # noqa: F401,F403
