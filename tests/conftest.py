import os
import sys

import pytest
import torch

# The tools and configs are used from the repository root, as users run them.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import topgap_mm  # noqa: E402,F401  (registers the modules)


@pytest.fixture(scope='module')
def one_thread():
    """One torch thread for a module: OpenMP threads that spin-wait on 2
    shared cores make small forward passes many times slower (up to 50x)
    than one thread. A module asks for it with
    ``pytestmark = pytest.mark.usefixtures('one_thread')``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
