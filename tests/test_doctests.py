"""The ``Examples:`` of the package's docstrings run and print what they
show.

Every module under ``topgap_mm`` whose source holds a doctest is found and
run, so an example added to any docstring is checked from then on; an
example whose output drifts from the code fails here.
"""
import doctest
import importlib
import os.path as osp
import pkgutil

import pytest

import topgap_mm

PACKAGE = osp.dirname(topgap_mm.__file__)


def modules_with_examples():
    """Dotted names of the package's modules whose source has ``>>>``."""
    names = []
    for info in pkgutil.walk_packages([PACKAGE], prefix='topgap_mm.'):
        spec = importlib.util.find_spec(info.name)
        if spec is None or spec.origin is None or \
                not spec.origin.endswith('.py'):
            continue
        with open(spec.origin, encoding='utf-8') as f:
            if '>>>' in f.read():
                names.append(info.name)
    return sorted(names)


MODULES = modules_with_examples()


def test_the_examples_are_found():
    """Discovery finds the public classes' examples, so the test below
    cannot pass by running nothing."""
    for name in ('topgap_mm.models.heads.topgap_head',
                 'topgap_mm.models.necks.fpn_cam',
                 'topgap_mm.models.utils.cam_pools',
                 'topgap_mm.evaluation.metrics.cam_iou'):
        assert name in MODULES


@pytest.mark.parametrize('name', MODULES)
def test_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(
        module,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
        verbose=False)
    assert result.attempted > 0, f'{name}: no example ran'
    assert result.failed == 0, f'{name}: {result.failed} example(s) failed'
