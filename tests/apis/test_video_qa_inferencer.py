"""VideoQAInferencer against the metric path (tools/test.py --dump) of a
tiny open-ended QA model trained by tools/train.py."""
import os.path as osp

import pytest

from clover.apis import VideoQAInferencer


@pytest.fixture
def inferencer(qa_run, monkeypatch):
    for key in ('CLOVER_TINY_DATA', 'CLOVER_TINY_TOKENIZER'):
        monkeypatch.setenv(key, str(qa_run['env'][key]))
    return VideoQAInferencer(qa_run['config'], qa_run['checkpoint'])


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
