"""Importing topgap_mm adds to MMPretrain's registries and replaces nothing."""
import json
import subprocess
import sys

from tool_runner import ROOT

SNAPSHOT = r'''
import json, sys
import mmpretrain.datasets, mmpretrain.models, mmpretrain.evaluation
import mmpretrain.engine  # noqa: F401  (fills the registries)
from mmengine.registry import Registry
from mmpretrain import registry
def snap():
    out = {}
    for name in dir(registry):
        reg = getattr(registry, name)
        if isinstance(reg, Registry):
            out[name] = {k: f'{v.__module__}.{getattr(v, "__qualname__", v)}'
                         for k, v in reg.module_dict.items()}
    return out
before = snap()
import topgap_mm  # noqa: F401
print(json.dumps([before, snap()]))
'''


def test_import_only_adds_registry_entries():
    proc = subprocess.run([sys.executable, '-c', SNAPSHOT],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          check=True)
    before, after = json.loads(proc.stdout.strip().splitlines()[-1])
    for registry, entries in before.items():
        changed = {k: (v, after[registry][k])
                   for k, v in entries.items() if after[registry].get(k) != v}
        assert not changed, f'{registry}: topgap_mm replaced {changed}'
    added = set(after['DATASETS']) - set(before['DATASETS'])
    assert {'CUBWithMasks', 'OxfordIIITPetWithMasks'} <= added
    assert before['DATASETS']['CUB'] == 'mmpretrain.datasets.cub.CUB'
