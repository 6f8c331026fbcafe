"""VideoQAInferencer against the metric path (tools/test.py --dump) of a
tiny open-ended QA model trained by tools/train.py."""
import importlib.util
import json
import os
import os.path as osp
import pickle
import shutil
import sys

import pytest

from clover.apis import VideoQAInferencer

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QA_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'tiny_qa.py')


def load_make_demo_qa():
    spec = importlib.util.spec_from_file_location(
        'make_demo_qa', osp.join(REPO_ROOT, 'tools', 'data', 'make_demo_qa.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
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
    run_tool([
        sys.executable, 'tools/test.py', QA_CONFIG,
        str(root / 'train' / 'epoch_1.pth'), '--work-dir',
        str(root / 'test'), '--dump', str(dump)
    ], env)
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
        videos=str(corpus / 'videos'))


@pytest.fixture
def inferencer(qa_run, monkeypatch):
    for key in ('CLOVER_TINY_DATA', 'CLOVER_TINY_TOKENIZER'):
        monkeypatch.setenv(key, str(qa_run['env'][key]))
    return VideoQAInferencer(QA_CONFIG, qa_run['checkpoint'])


def test_answers_are_the_metric_paths_argmax(qa_run, inferencer):
    # The vocabulary comes from the checkpoint, not from an annotation file.
    assert inferencer.answer_vocab == qa_run['vocab']
    questions = qa_run['questions']
    results = inferencer([
        dict(video=osp.join(qa_run['videos'], q['video']),
             question=q['question']) for q in questions
    ], batch_size=3)
    assert len(results) == len(questions) == len(qa_run['preds'])
    for question, result in zip(questions, results):
        pred = qa_run['preds'][question['question_id']]
        assert result['answer'] == qa_run['vocab'][pred['pred_label']]
        assert result['score'] == pytest.approx(
            float(pred['pred_scores'].max()), abs=1e-5)
        assert result['answers'][0] == result['answer']


def test_candidates_pick_the_best_scored_one(qa_run, inferencer):
    question = qa_run['questions'][0]
    scores = qa_run['preds'][question['question_id']]['pred_scores']
    vocab = qa_run['vocab']
    candidates = [vocab[i] for i in (3, 11, 20, 27)]
    best = max(candidates, key=lambda c: float(scores[vocab.index(c)]))
    video = osp.join(qa_run['videos'], question['video'])
    result = inferencer.answer(video, question['question'], candidates)
    assert result['answer'] == best
    assert sorted(result['answers']) == sorted(candidates)
    with pytest.raises(ValueError, match='purple-ish'):
        inferencer.answer(video, question['question'], ['purple-ish', 'red'])
