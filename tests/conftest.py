import os
import sys

# The tools and configs are used from the repository root, as users run them.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import topgap_mm  # noqa: E402,F401  (registers the modules)
