"""Tiny retrieval and QA models trained by tools/train.py and their test
results from tools/test.py, shared by the inference tests."""
import importlib.util
import json
import os
import os.path as osp
import pickle
import shutil
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QA_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'tiny_qa.py')


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


def load_make_demo_qa():
    spec = importlib.util.spec_from_file_location(
        'make_demo_qa',
        osp.join(REPO_ROOT, 'tools', 'data', 'make_demo_qa.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def qa_run(tmp_path_factory, tiny_data, tool_env, run_tool):
    """The tiny corpus with its QA files, a QA model trained one epoch on
    it, and tools/test.py's dump of its test predictions."""
    root = tmp_path_factory.mktemp('qa')
    corpus = root / 'corpus'
    shutil.copytree(osp.join(tiny_data, 'annotations'), corpus / 'annotations')
    os.symlink(osp.join(tiny_data, 'videos'), corpus / 'videos')
    load_make_demo_qa().build_qa(str(corpus))
    env = dict(tool_env, CLOVER_TINY_DATA=str(corpus))
    run_tool([sys.executable, 'tools/train.py', QA_CONFIG, '--work-dir',
              str(root / 'train')], env)
    dump = root / 'preds.pkl'
    proc = run_tool([
        sys.executable, 'tools/test.py', QA_CONFIG,
        str(root / 'train' / 'epoch_1.pth'), '--work-dir',
        str(root / 'test'), '--dump', str(dump)
    ], env)
    metrics = json.loads(proc.stdout.strip().splitlines()[-1])
    with open(dump, 'rb') as file:
        preds = {pred['question_id']: pred for pred in pickle.load(file)}
    with open(corpus / 'annotations' / 'qa_test.json') as file:
        test_file = json.load(file)
    return dict(
        env=env,
        checkpoint=str(root / 'train' / 'epoch_1.pth'),
        preds=preds,
        questions=test_file['data_list'],
        vocab=test_file['metainfo']['answer_vocab'],
        videos=str(corpus / 'videos'),
        config=QA_CONFIG,
        dump=str(dump),
        metrics=metrics)
