"""tools/run_demo.sh refuses what it cannot run before setting anything up."""
import os
import subprocess

import pytest
from tool_runner import ROOT


@pytest.mark.parametrize('args, env, message', [
    (['fastest'], {}, "unknown job 'fastest'"),
    ([], {'PRECISION': 'fp16'},
     "PRECISION must be auto, bfloat16 or float32, got 'fp16'"),
])
def test_bad_arguments_are_named_before_the_set_up(args, env, message):
    proc = subprocess.run(['bash', 'tools/run_demo.sh', *args],
                          cwd=ROOT, env=dict(os.environ, **env),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert '[setup]' not in proc.stdout + proc.stderr
