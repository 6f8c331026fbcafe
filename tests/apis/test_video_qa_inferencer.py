"""VideoQAInferencer against the metric path (tools/test.py --dump) of a
tiny open-ended QA model trained by tools/train.py."""
import json
import os.path as osp
import pickle

import pytest
import torch
from mmengine.config import Config

from clover.apis import VideoQAInferencer
from clover.apis.gallery import read_annotation_gallery
from clover.registry import MODELS
from clover.utils import build_runner


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


def test_multiple_choice_model_picks_the_metric_paths_candidate(
        tiny_env, tmp_path, qa_run):
    """A multiple-choice model (no answer vocabulary) fuses each given
    candidate; the inferencer's choice is the argmax of the scores that
    tools/test.py's runner dumps for the same questions."""
    data = tiny_env['CLOVER_TINY_DATA']
    paths, captions = read_annotation_gallery(
        osp.join(data, 'annotations', 'test.json'), osp.join(data, 'videos'))
    records = [
        dict(question_id=f'q{i}', video_id=f'v{i}',
             video=osp.basename(paths[i]), question='which caption fits?',
             candidates=[captions[(i + k) % len(paths)][0] for k in range(3)],
             answer_index=0) for i in range(4)
    ]
    ann_file = tmp_path / 'mc.json'
    ann_file.write_text(json.dumps(dict(
        metainfo=dict(task='multiple_choice'), data_list=records)))
    cfg = Config.fromfile(qa_run['config'])
    cfg.model.type = 'CloverMultipleChoice'
    cfg.model.qa_head = dict(type='MultipleChoiceHead', in_channels=16,
                             hidden_channels=8, dropout=0.)
    pipeline = cfg.test_dataloader.dataset.pipeline
    pipeline[4] = dict(type='FormatQuestionText',
                       template='{question} Answer: {candidate}')
    pipeline[-1].meta_keys = ('video_path', 'question_id', 'answer_index')
    cfg.test_dataloader.dataset = dict(
        type='VideoMultipleChoiceDataset', ann_file=str(ann_file),
        data_prefix=dict(video=osp.join(data, 'videos')), num_candidates=3,
        pipeline=pipeline, test_mode=True)
    dump = tmp_path / 'mc.pkl'
    cfg.test_evaluator = [
        dict(type='VideoQAAccuracy'),
        dict(type='DumpResults', out_file_path=str(dump))
    ]
    config = str(tmp_path / 'mc_config.py')
    cfg.dump(config)
    torch.manual_seed(0)
    checkpoint = tmp_path / 'mc.pth'
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()),
               checkpoint)
    cfg.load_from = str(checkpoint)
    cfg.work_dir = str(tmp_path / 'work')
    build_runner(cfg).test()
    with open(dump, 'rb') as file:
        dumped = {
            pred['question_id']: pred['pred_scores']
            for pred in pickle.load(file)
        }

    qa = VideoQAInferencer(config, str(checkpoint))
    assert qa.answer_vocab is None
    for record in records:
        video = osp.join(data, 'videos', record['video'])
        result = qa.answer(video, record['question'], record['candidates'])
        scores = dumped[record['question_id']]
        assert result['answer'] == record['candidates'][int(scores.argmax())]
        assert sorted(result['scores'], reverse=True) == pytest.approx(
            sorted(scores.tolist(), reverse=True), abs=1e-5)
    with pytest.raises(ValueError, match='give candidates'):
        qa.answer(video, record['question'])
