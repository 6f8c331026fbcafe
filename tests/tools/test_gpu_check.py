"""tools/analysis/gpu_check.sh: with --tiny, every task model trains a few
steps in fp32 and bf16 autocast on the CPU, then the benchmark's loss check
passes; without --tiny on a machine without CUDA it stops, saying so."""
import os.path as osp
import re
import subprocess

import pytest
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TASKS = ('pretrain', 'retrieval', 'qa', 'mc', 'fib')


def test_tiny_run_trains_every_task_and_checks_the_losses(run_tool, tool_env):
    proc = run_tool(['bash', 'tools/analysis/gpu_check.sh', '--tiny'],
                    tool_env)
    out = proc.stdout
    for task in TASKS:
        for precision in ('fp32', 'bf16'):
            line = re.search(
                rf'^{task}\s+{precision}\s+(\S+)\s+losses (.*) \(', out, re.M)
            assert line, (task, precision, out)
            assert line.group(1) == 'ok', line.group(0)
            losses = [float(x) for x in line.group(2).split()]
            assert len(losses) == 2 and all(x > 0 for x in losses)
    assert 'all task models ok' in out
    assert 'losses agree to rtol 0.0001: True' in out
    assert 'gpu_check.sh: all checks passed' in out


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU machine')
def test_full_size_run_needs_cuda(tool_env):
    proc = subprocess.run(['bash', 'tools/analysis/gpu_check.sh'],
                          cwd=REPO_ROOT, env=tool_env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert 'no CUDA device' in proc.stderr
