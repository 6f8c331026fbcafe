"""The quiet console: progress and results on the terminal, the rest in the
log file."""
import glob
import json
import logging
import os.path as osp
import sys

from clover.utils.console import QuietConsoleFilter

# Frozen parameters and paramwise options make MMEngine's optimizer
# constructor log one line per parameter.
NOISY = [
    '--cfg-options', 'train_cfg.max_epochs=1',
    'model.text_encoder.frozen_layers=-1',
    'optim_wrapper.optimizer.weight_decay=0.01',
    'optim_wrapper.paramwise_cfg.norm_decay_mult=0.'
]


def _record(level, message, console=False):
    record = logging.LogRecord('mmengine', level, __file__, 1, message, None,
                               None)
    if console:
        record.console = True
    return record


def test_filter_keeps_marked_lines_warnings_and_errors_only():
    keep = QuietConsoleFilter().filter
    assert keep(_record(logging.INFO, 'epoch 1 val: R@1 3.0', console=True))
    assert not keep(_record(logging.INFO, 'paramwise_options -- x:lr=1'))
    assert keep(_record(logging.WARNING, 'Skipping bad video a.mp4'))
    assert not keep(
        _record(logging.WARNING,
                'text_encoder.bert.x is skipped since its requires_grad=False'))
    assert not keep(_record(logging.WARNING, '"FileClient" will be deprecated'))
    assert keep(_record(logging.ERROR, 'is skipped since its requires_grad=False'))


def _log_file(work_dir):
    (path, ) = glob.glob(osp.join(work_dir, '*', '*.log'))
    with open(path) as file:
        return file.read()


def test_train_and_test_console_is_quiet_and_the_log_complete(
        tmp_path, run_tool, tiny_config, tool_env):
    work_dir = str(tmp_path / 'quiet')
    train = run_tool([
        sys.executable, 'tools/train.py', tiny_config, '--work-dir', work_dir,
        *NOISY
    ], tool_env)
    console = train.stdout + train.stderr
    log = _log_file(work_dir)
    for noise in ('paramwise_options', 'requires_grad=False', 'Config:',
                  'Epoch(train)', 'Loading weights'):
        assert noise not in console, noise
    for detail in ('paramwise_options', 'requires_grad=False', 'Config:',
                   'Epoch(train)'):
        assert detail in log, detail
    assert console.count('epoch 1/1') == 1  # one (finished) bar per epoch
    assert 'epoch 1 val: dual/t2v/R@1' in console
    assert 'Training done' in console

    test = run_tool([
        sys.executable, 'tools/test.py', tiny_config,
        osp.join(work_dir, 'epoch_1.pth'), '--work-dir', work_dir
    ], tool_env)
    lines = test.stdout.strip().splitlines()
    assert any(line.startswith('test: dual/t2v/R@1') for line in lines)
    assert 'dual/t2v/R@1' in json.loads(lines[-1])
    assert 'Epoch(test)' not in test.stdout


def test_verbose_gives_mmengine_console(tmp_path, run_tool, tiny_config,
                                        tool_env):
    train = run_tool([
        sys.executable, 'tools/train.py', tiny_config, '--work-dir',
        str(tmp_path), '--verbose', *NOISY
    ], tool_env)
    assert 'paramwise_options' in train.stdout
    assert 'Epoch(train)' in train.stdout
    assert 'epoch 1/1 ' not in train.stdout
