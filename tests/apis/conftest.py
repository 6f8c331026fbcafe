"""A tiny retrieval model trained by tools/train.py and its test metrics
from tools/test.py, shared by the inference tests."""
import json
import sys

import pytest


@pytest.fixture(scope='session')
def tiny_checkpoint(tmp_path_factory, run_tool, tiny_config, tool_env):
    """The tiny retrieval config trained for its 2 epochs."""
    work_dir = tmp_path_factory.mktemp('infer_trained')
    run_tool([
        sys.executable, 'tools/train.py', tiny_config, '--work-dir',
        str(work_dir)
    ], tool_env)
    return str(work_dir / 'epoch_2.pth')


@pytest.fixture(scope='session')
def tiny_test_metrics(tmp_path_factory, run_tool, tiny_config, tool_env,
                      tiny_checkpoint):
    """tools/test.py's metrics of the checkpoint on the tiny test split,
    and the path of its --dump."""
    out = tmp_path_factory.mktemp('infer_test')
    dump = out / 'preds.pkl'
    proc = run_tool([
        sys.executable, 'tools/test.py', tiny_config, tiny_checkpoint,
        '--work-dir', str(out / 'work'), '--dump', str(dump)
    ], tool_env)
    return json.loads(proc.stdout.strip().splitlines()[-1]), str(dump)


@pytest.fixture
def tiny_env(monkeypatch, tool_env):
    """The tool environment in this process (the config reads the corpus
    and tokenizer paths from it)."""
    for key in ('CLOVER_TINY_DATA', 'CLOVER_TINY_TOKENIZER', 'HF_HUB_OFFLINE'):
        monkeypatch.setenv(key, str(tool_env[key]))
    return tool_env
