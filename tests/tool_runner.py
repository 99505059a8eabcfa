"""Runs the repository's command-line tools as a user does."""
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def run_tool(*args: str,
             check: bool = True,
             timeout: int = 900,
             **env: str) -> subprocess.CompletedProcess:
    """Run ``python *args`` from the repository root on the CPU.

    Args:
        *args: The tool's path and its arguments.
        check (bool): Assert that it succeeds; the message holds the command
            and the end of its output.
        timeout (int): Seconds before the run is killed.
        **env: Extra environment variables.

    Returns:
        subprocess.CompletedProcess: With ``stdout`` and ``stderr`` as text.
    """
    env = dict(os.environ, PYTHONPATH=ROOT, CUDA_VISIBLE_DEVICES='', **env)
    proc = subprocess.run([sys.executable, *args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    if check:
        assert proc.returncode == 0, (' '.join(args) + '\n' +
                                      proc.stdout[-3000:] +
                                      proc.stderr[-3000:])
    return proc
