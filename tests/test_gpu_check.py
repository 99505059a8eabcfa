"""The GPU check's argument handling and its step benchmark, on the CPU."""
import os
import os.path as osp
import subprocess
import sys

from tool_runner import ROOT, run_tool

SCRIPT = osp.join(ROOT, 'benchmarks', 'gpu_check.sh')


def gpu_check(*args, out):
    env = dict(os.environ, PYTHON=sys.executable, CUDA_VISIBLE_DEVICES='')
    return subprocess.run(['bash', SCRIPT, '--out', str(out), *args],
                          env=env, capture_output=True, text=True)


def test_gpu_check_refuses_without_a_gpu_and_writes_nothing(tmp_path):
    out = tmp_path / 'RESULTS.md'
    proc = gpu_check(out=out)
    assert proc.returncode == 3 and 'sees no GPU' in proc.stderr
    assert not out.exists()
    proc = gpu_check('--fast', out=out)
    assert proc.returncode == 2 and "unknown argument '--fast'" in proc.stderr
    proc = gpu_check('--help', out=out)
    assert proc.returncode == 0 and '--quick' in proc.stdout


def test_device_step_benchmark_runs_its_table_on_cpu():
    proc = run_tool('benchmarks/bench_device_step.py', '--device', 'cpu',
                    '--pairs', 'resnet18_fashionbg_64', '--repeats', '1',
                    '--batch', '2', '--modes', 'fp32', 'amp')
    rows = [line for line in proc.stdout.splitlines()
            if line.startswith('| t')]
    # AMP is left out on the CPU; the Top-GAP row carries the ratio.
    assert [r.split(' | ')[0] for r in rows] == ['| twin/fp32',
                                                 '| topgap/fp32']
    assert float(rows[1].split(' | ')[3]) > 0
    proc = run_tool('benchmarks/bench_device_step.py', check=False)
    assert proc.returncode == 2 and 'no GPU is visible' in proc.stderr
