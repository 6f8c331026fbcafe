"""A run killed with SIGKILL mid-epoch and resumed with ``tools/train.py
--resume`` ends with the weights of the uninterrupted run, tensor for
tensor, with every source of randomness on (random frames, crops, flips,
captions, text and video masks, dropout, stochastic depth, EMA), two
persistent workers, for EpochBasedTrainLoop and MultiSourceTrainLoop.

Both configs train 2 epochs of 4 iterations and save epoch checkpoints and
one iteration checkpoint, ``iter_6.pth``, in the middle of epoch 2. The
interrupted run is killed before iteration 5 (mid epoch 2, before that
checkpoint: it resumes from ``epoch_1.pth``), then, resumed, killed again
before iteration 7 (after it: it resumes mid-epoch from ``iter_6.pth``),
and resumed to the end.
"""
import os
import os.path as osp
import re
import signal
import subprocess
import sys

import pytest
import torch

import clover.engine  # noqa: F401  (lets torch.load read checkpoints)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(REPO_ROOT, 'tests', 'data', 'configs')

KILL_HOOK = '''
import os
import signal

from mmengine.hooks import Hook

from clover.registry import HOOKS


@HOOKS.register_module()
class KillAtIterHook(Hook):
    """SIGKILLs the training process before iteration ``iteration``, after
    its batch was loaded (the workers are prefetching the next ones)."""

    priority = 'HIGHEST'

    def __init__(self, iteration):
        self.iteration = iteration

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.iteration:
            os.kill(os.getpid(), signal.SIGKILL)
'''


@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    """16 training videos of 8 frames with three captions each, and a
    still frame of each (the image source)."""
    out = str(tmp_path_factory.mktemp('resume_corpus'))
    subprocess.run([
        sys.executable, 'tools/data/make_demo_dataset.py', '--out-dir', out,
        '--num-train', '16', '--num-val', '4', '--num-test', '4',
        '--num-frames', '8', '--size', '32', '--workers', '1',
        '--still-frames'
    ], cwd=REPO_ROOT, check=True, capture_output=True)
    return out


@pytest.fixture(scope='module')
def env(corpus, tool_env, tmp_path_factory):
    """The tools' environment on the multi-caption corpus, with the kill
    hook importable."""
    hook_dir = tmp_path_factory.mktemp('kill_hook')
    (hook_dir / 'kill_hook.py').write_text(KILL_HOOK)
    return dict(
        tool_env,
        CLOVER_TINY_DATA=corpus,
        PYTHONPATH=os.pathsep.join([REPO_ROOT, str(hook_dir)]))


def train(config, work_dir, env, *args):
    """Start tools/train.py on ``config`` in ``work_dir``."""
    return subprocess.Popen(
        [sys.executable, 'tools/train.py', config, '--work-dir',
         str(work_dir), *args],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)


def finish(process, timeout=600):
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output


def killed_at(config, iteration, tmp_path):
    """A leaf of ``config`` that SIGKILLs itself before ``iteration``."""
    leaf = tmp_path / f'killed_at_{iteration}.py'
    leaf.write_text(
        f'_base_ = [{config!r}]\n'
        "custom_imports = dict(imports=['kill_hook'])\n"
        'custom_hooks = [\n'
        "    dict(type='EMAHook', momentum=0.1, update_buffers=True),\n"
        f"    dict(type='KillAtIterHook', iteration={iteration})]\n")
    return str(leaf)


def assert_same_tensors(straight, resumed, what):
    assert straight.keys() == resumed.keys(), what
    different = [
        key for key in straight if not torch.equal(straight[key], resumed[key])
    ]
    assert not different, f'{what}: {len(different)} of {len(straight)} ' \
        f'tensors differ, e.g. {different[:5]}'


@pytest.mark.parametrize('config', [
    'tiny_exact_resume.py',  # EpochBasedTrainLoop
    'tiny_exact_resume_pretrain.py',  # MultiSourceTrainLoop
])
def test_killed_and_resumed_run_ends_with_identical_weights(
        config, env, tmp_path, run_log):
    config = osp.join(CONFIG_DIR, config)
    straight_dir, resumed_dir = tmp_path / 'straight', tmp_path / 'resumed'
    straight = train(config, straight_dir, env)

    # Killed before iteration 5: mid epoch 2, before its checkpoint.
    code, output = finish(
        train(killed_at(config, 5, tmp_path), resumed_dir, env))
    assert code == -signal.SIGKILL, output[-3000:]
    assert not (resumed_dir / 'iter_6.pth').exists()
    # Resumed from epoch_1.pth, killed before iteration 7: after it.
    code, output = finish(
        train(killed_at(config, 7, tmp_path), resumed_dir, env, '--resume'))
    assert code == -signal.SIGKILL, output[-3000:]
    assert 'resumed epoch: 1, iter: 4' in run_log(resumed_dir)
    assert (resumed_dir / 'iter_6.pth').exists()
    # Resumed mid-epoch from iter_6.pth, to the end.
    code, output = finish(train(config, resumed_dir, env, '--resume'))
    assert code == 0, output[-3000:]
    log = run_log(resumed_dir)
    assert 'resumed epoch: 1, iter: 6' in log
    if 'pretrain' not in config:
        assert re.search('epoch 2 continues at batch 3 of 4', log)
    # The sources skip the batches already trained on unread.
    assert 'reading and dropping' not in log

    code, output = finish(straight)
    assert code == 0, output[-3000:]
    reference = torch.load(straight_dir / 'epoch_2.pth')
    result = torch.load(resumed_dir / 'epoch_2.pth')
    assert_same_tensors(reference['state_dict'], result['state_dict'],
                        'weights (EMA)')
    assert_same_tensors(reference['ema_state_dict'], result['ema_state_dict'],
                        'EMA model state')
    assert reference['meta']['iter'] == result['meta']['iter'] == 8
