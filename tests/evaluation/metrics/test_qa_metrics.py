"""QA accuracy metrics against hand-computed values."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.evaluator import Evaluator

from clover.evaluation.metrics import (MultipleChoiceRetrievalAccuracy,
                                       VideoQAAccuracy, is_strictly_best)
from clover.structures import VideoTextDataSample


def qa_sample(question_id, label, scores=None, pred=None, qtype=None):
    sample = VideoTextDataSample(metainfo={'question_id': question_id})
    sample.gt_label = label
    if qtype is not None:
        sample.set_metainfo({'question_type': qtype})
    if scores is not None:
        sample.pred_scores = torch.tensor(scores)
    if pred is not None:
        sample.pred_label = pred
    return sample


def test_is_strictly_best():
    assert is_strictly_best(torch.tensor([0.1, 0.7, 0.2]), 1)
    assert not is_strictly_best(torch.tensor([0.1, 0.7, 0.2]), 2)
    # A tie at the top counts wrong, whichever index argmax would pick.
    assert not is_strictly_best(torch.tensor([0.4, 0.4, 0.2]), 0)
    assert not is_strictly_best(torch.tensor([0.4, 0.4, 0.2]), 1)
    assert not is_strictly_best(torch.tensor([0.4, 0.4]), -1)
    assert is_strictly_best(torch.tensor([3.0]), 0)


def test_accuracy_per_type_oov_ties_and_padding():
    samples = [
        qa_sample('q0', 1, scores=[0.1, 0.8, 0.1], qtype='what'),  # right
        qa_sample('q1', 0, scores=[0.5, 0.5, 0.0], qtype='what'),  # tie
        qa_sample('q2', -1, scores=[0.9, 0.05, 0.05], qtype='who'),  # OOV
        qa_sample('q3', 2, scores=[0.1, 0.2, 0.7], qtype='who'),  # right
        qa_sample('q4', 0, pred=0),  # no scores, no type: right
        qa_sample('q5', 2, pred=1),  # wrong
    ]
    evaluator = Evaluator(VideoQAAccuracy())
    evaluator.process(samples[:4])
    # Padding of a distributed sampler repeats q0 and q1; counted once.
    evaluator.process(samples[4:] + samples[:2])
    metrics = evaluator.evaluate(8)
    assert metrics == pytest.approx({
        'qa/acc': 100 * 3 / 6,
        'qa/acc/what': 50.0,
        'qa/acc/who': 50.0,
        'qa/num_questions': 6,
    })


def test_oov_without_scores_is_wrong_even_if_pred_is_minus_one():
    metric = VideoQAAccuracy(prefix='msvd')
    metric.process(None, [qa_sample('a', -1, pred=-1).to_dict()])
    assert metric.evaluate(1) == {'msvd/acc': 0.0, 'msvd/num_questions': 1}


def test_multiple_choice_reads_the_same_field():
    # The right candidate is gt_label too: no per-task switch.
    metric = VideoQAAccuracy(prefix='tgif')
    metric.process(None, [
        qa_sample('a', 3, scores=[0, 0, 0, 1., 0]),
        qa_sample('b', 0, scores=[0, 2., 0, 1., 0]),
    ])
    assert metric.evaluate(2)['tgif/acc'] == 50.0


def test_missing_and_bad_fields():
    metric = VideoQAAccuracy()
    with pytest.raises(KeyError, match='question_id'):
        metric.process(None, [VideoTextDataSample(gt_label=1)])
    with pytest.raises(KeyError, match="'pred_label'"):
        metric.process(None, [qa_sample('x', 1)])
    with pytest.raises(ValueError, match="question_id='x'"):
        metric.process(None, [qa_sample('x', 5, scores=[0.5, 0.5])])


def mc_sample(question_id, video, texts, answer):
    sample = VideoTextDataSample(metainfo={'question_id': question_id})
    sample.gt_label = answer
    sample.video_embedding = torch.tensor(video)
    sample.text_embeddings = torch.tensor(texts)
    return sample


def test_multiple_choice_retrieval_accuracy_uses_cosine():
    samples = [
        # Dot product would pick the long vector 1; cosine picks 0.
        mc_sample('m0', [1., 0.], [[1., 0.], [3., 3.], [0., 1.]], 0),
        # Candidates 0 and 2 are the same direction: a tie, counted wrong.
        mc_sample('m1', [0., 2.], [[0., 1.], [1., 0.], [0., 5.]], 0),
        # Plain miss.
        mc_sample('m2', [1., 1.], [[1., 0.], [1., 1.], [-1., 0.]], 0),
        # Plain hit.
        mc_sample('m3', [-1., 0.], [[1., 0.], [1., 1.], [-1., 0.]], 2),
    ]
    evaluator = Evaluator(MultipleChoiceRetrievalAccuracy())
    evaluator.process(samples)
    assert evaluator.evaluate(4) == pytest.approx({
        'mc_retrieval/acc': 50.0,
        'mc_retrieval/num_questions': 4
    })


def test_multiple_choice_retrieval_matches_argmax_on_random_embeddings():
    g = torch.Generator().manual_seed(0)
    videos = F.normalize(torch.randn(20, 6, generator=g), dim=-1)
    texts = F.normalize(torch.randn(20, 5, 6, generator=g), dim=-1)
    answers = torch.randint(0, 5, (20, ), generator=g)
    metric = MultipleChoiceRetrievalAccuracy(prefix='mc')
    metric.process(None, [
        mc_sample(str(i), videos[i].tolist(), texts[i].tolist(),
                  int(answers[i])) for i in range(20)
    ])
    expected = 100 * (torch.einsum('nkd,nd->nk', texts, videos).argmax(1)
                      == answers).float().mean().item()
    assert metric.evaluate(20)['mc/acc'] == pytest.approx(expected)


def test_multiple_choice_retrieval_shape_error():
    metric = MultipleChoiceRetrievalAccuracy()
    with pytest.raises(ValueError, match="question_id='bad'"):
        metric.process(None, [mc_sample('bad', [1., 0.], [[1., 0., 0.]], 0)])
