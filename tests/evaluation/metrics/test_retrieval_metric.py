"""RetrievalMetric and its ranking functions against naive loops and hand
computations."""
import random

import pytest
import torch
import torch.nn.functional as F

from clover.evaluation.metrics import (RetrievalMetric, recall_summary,
                                       t2v_ranks, v2t_ranks)
from clover.evaluation.metrics.retrieval_metric import dual_softmax_scores
from clover.registry import METRICS
from clover.structures import VideoTextDataSample


def naive_t2v_ranks(scores, text_to_video):
    ranks = []
    for text, row in enumerate(scores.tolist()):
        gt = text_to_video[text]
        ranks.append(1 + sum(1 for video, score in enumerate(row)
                             if video != gt and score >= row[gt]))
    return ranks


def naive_v2t_ranks(scores, text_to_video):
    rows = scores.tolist()
    ranks = []
    for video in range(scores.shape[1]):
        own = [t for t, v in enumerate(text_to_video) if v == video]
        ranks.append(
            min(1 + sum(1 for t in range(len(rows))
                        if t not in own and rows[t][video] >= rows[c][video])
                for c in own))
    return ranks


def random_case(seed, num_videos, max_captions, num_levels):
    """A score matrix with few distinct values (many ties) and 1 to
    max_captions captions per video."""
    generator = torch.Generator().manual_seed(seed)
    counts = torch.randint(1, max_captions + 1, (num_videos, ),
                           generator=generator)
    text_to_video = torch.repeat_interleave(torch.arange(num_videos), counts)
    scores = torch.randint(
        0, num_levels, (len(text_to_video), num_videos),
        generator=generator).float() / num_levels
    return scores, text_to_video


@pytest.mark.parametrize('seed, num_videos, max_captions, num_levels', [
    (0, 7, 3, 3),
    (1, 12, 4, 2),
    (2, 5, 1, 4),
    (3, 9, 5, 50),
])
def test_ranks_equal_naive_loops_with_ties(seed, num_videos, max_captions,
                                           num_levels):
    scores, text_to_video = random_case(seed, num_videos, max_captions,
                                        num_levels)
    truth = text_to_video.tolist()
    # A chunk smaller than the text count exercises the chunked loops.
    assert t2v_ranks(scores, text_to_video, chunk_size=4).tolist() == \
        naive_t2v_ranks(scores, truth)
    assert v2t_ranks(scores, text_to_video, chunk_size=4).tolist() == \
        naive_v2t_ranks(scores, truth)


def test_hand_computed_example():
    # Videos 0, 1, 2; texts 0 and 1 belong to video 0.
    scores = torch.tensor([
        [0.9, 0.1, 0.2],  # t2v rank 1
        [0.3, 0.5, 0.3],  # rank 3: video 1 beats it, video 2 ties
        [0.4, 0.4, 0.1],  # rank 2: video 0 ties
        [0.2, 0.6, 0.7],  # rank 1
    ])
    text_to_video = torch.tensor([0, 0, 1, 2])
    t2v = t2v_ranks(scores, text_to_video)
    v2t = v2t_ranks(scores, text_to_video)
    assert t2v.tolist() == [1, 3, 2, 1]
    # Video 1's only caption scores 0.4; texts 1 (0.5) and 3 (0.6) beat it.
    assert v2t.tolist() == [1, 3, 1]
    assert recall_summary(t2v) == {
        'R@1': 50.0, 'R@5': 100.0, 'R@10': 100.0, 'MdR': 1.5, 'MnR': 1.75}
    v2t_summary = recall_summary(v2t, ks=(1, ))
    assert v2t_summary['R@1'] == pytest.approx(200 / 3)
    assert v2t_summary['MdR'] == 1.0
    assert v2t_summary['MnR'] == pytest.approx(5 / 3)


def test_recall_at_all_is_hand_computed():
    """12 one-caption videos whose own video ranks 1, 1, 2, 3, 5, 6, 6, 8,
    10, 11, 12, 12 (text i scores its video below ranks[i] - 1 others):
    R@1 = 2/12, R@5 = 5/12, R@10 = 9/12, MdR = (6 + 6) / 2 = 6, so
    Recall@all = 100 * 16/12 - 6."""
    ranks = [1, 1, 2, 3, 5, 6, 6, 8, 10, 11, 12, 12]
    num = len(ranks)
    scores = torch.zeros(num, num)
    for text, rank in enumerate(ranks):
        others = [v for v in range(num) if v != text][:rank - 1]
        scores[text, others] = 1.0
        scores[text, text] = 0.5
    metric = RetrievalMetric()
    for video in range(num):
        # Embeddings whose dot products are the score matrix: one-hot
        # videos, text rows = scores.
        metric.process(None, [
            dict(video_index=video, video_embedding=torch.eye(num)[video],
                 text_embeddings=scores[video:video + 1])
        ])
    metrics = metric.compute_metrics(metric.results)
    assert metrics['dual/t2v/MdR'] == 6.0
    assert metrics['dual/t2v/Recall@all'] == pytest.approx(
        100 * 16 / 12 - 6)


def test_tied_own_captions_do_not_compete():
    # Both captions of video 0 tie at the top: still rank 1.
    scores = torch.tensor([[0.8, 0.1], [0.8, 0.2], [0.3, 0.9]])
    assert v2t_ranks(scores, torch.tensor([0, 0, 1])).tolist() == [1, 1]


def test_bad_scores_are_rejected():
    with pytest.raises(ValueError, match='NaN'):
        t2v_ranks(torch.tensor([[float('nan'), 0.0]]), torch.tensor([0]))
    with pytest.raises(ValueError, match=r'videos \[1\] have no text'):
        v2t_ranks(torch.zeros(2, 2), torch.tensor([0, 0]))


def make_gallery(num_videos, dim=8, seed=0):
    generator = torch.Generator().manual_seed(seed)
    videos = F.normalize(torch.randn(num_videos, dim, generator=generator))
    texts = [
        F.normalize(videos[i] + 0.8 * torch.randn(
            (i % 3) + 1, dim, generator=generator))
        for i in range(num_videos)
    ]
    return videos, texts


def expected_metrics(videos, texts):
    text_to_video = [i for i, t in enumerate(texts) for _ in range(len(t))]
    scores = torch.cat(texts) @ videos.T
    t2v = torch.tensor(naive_t2v_ranks(scores, text_to_video))
    v2t = torch.tensor(naive_v2t_ranks(scores, text_to_video))
    num_texts = len(text_to_video)
    expected = {}
    for direction, ranks in (('t2v', t2v), ('v2t', v2t)):
        summary = recall_summary(ranks)
        expected.update(
            {f'dual/{direction}/{k}': v for k, v in summary.items()})
        expected[f'dual/{direction}/Recall@all'] = (
            summary['R@1'] + summary['R@5'] + summary['R@10'] -
            summary['MdR'])
    expected['dual/t2v/chance_R@1'] = 100 / len(videos)
    expected['dual/v2t/chance_R@1'] = 100 * sum(
        len(t) / num_texts for t in texts) / len(videos)
    expected['dual/num_videos'] = len(videos)
    expected['dual/num_texts'] = num_texts
    return expected


def as_sample(index, video, text_embeddings, typed):
    if not typed:
        return dict(video_index=index, video_embedding=video,
                    text_embeddings=text_embeddings)
    sample = VideoTextDataSample(video_index=index)
    sample.video_embedding = video
    sample.text_embeddings = text_embeddings
    return sample


def test_compute_metrics_with_shuffled_and_duplicated_indices():
    videos, texts = make_gallery(10)
    order = list(range(10)) + [3, 7]  # duplicates, as a padded sampler
    random.Random(0).shuffle(order)
    metric = METRICS.build(dict(type='RetrievalMetric'))
    for start in range(0, len(order), 4):
        metric.process(None, [
            as_sample(i, videos[i], texts[i], typed=bool(i % 2))
            for i in order[start:start + 4]
        ])
    metrics = metric.compute_metrics(metric.results)
    expected = expected_metrics(videos, texts)
    assert metrics.keys() == expected.keys()
    for key, value in expected.items():
        assert metrics[key] == pytest.approx(value), key


def test_evaluate_drops_sampler_padding_and_prefixes():
    videos, texts = make_gallery(6, seed=1)
    metric = RetrievalMetric(prefix='msrvtt')
    # Padding repeats the first samples after the real ones.
    for i in [0, 1, 2, 3, 4, 5, 0, 1]:
        metric.process(None, [as_sample(i, videos[i], texts[i], typed=True)])
    metrics = metric.evaluate(6)
    expected = expected_metrics(videos, texts)
    assert metrics['msrvtt/dual/t2v/R@1'] == pytest.approx(
        expected['dual/t2v/R@1'])
    assert metrics['msrvtt/dual/num_videos'] == 6
    assert metric.results == []


def test_missing_video_index_fails_clearly():
    videos, texts = make_gallery(4)
    metric = RetrievalMetric()
    for i in [0, 1, 3]:
        metric.process(None, [as_sample(i, videos[i], texts[i], typed=False)])
    with pytest.raises(ValueError, match=r'missing \[2\]'):
        metric.compute_metrics(metric.results)
    for i in [0, 1, 3]:
        metric.process(None, [as_sample(i, videos[i], texts[i], typed=False)])
    # Video 2 is a dataset record that never reached the metric.
    with pytest.raises(ValueError, match=r'missing \[2\]'):
        metric.evaluate(4)


def test_bad_samples_fail_clearly():
    metric = RetrievalMetric()
    with pytest.raises(KeyError, match='text_embeddings'):
        metric.process(None, [dict(video_index=0,
                                   video_embedding=torch.ones(4))])
    with pytest.raises(ValueError, match='video_index=5'):
        metric.process(None, [
            dict(video_index=5, video_embedding=torch.ones(4),
                 text_embeddings=torch.ones(2, 3))
        ])
    with pytest.raises(ValueError, match='scoring'):
        RetrievalMetric(scoring='fusion')
    with pytest.raises(ValueError, match='scoring'):
        RetrievalMetric(scoring=('dual', 'dual'))
    with pytest.raises(ValueError, match='dsl_temperature'):
        RetrievalMetric(scoring=('dual', 'dsl'), dsl_temperature=0)


def test_collapsed_model_scores_at_most_chance():
    num_videos = 20
    constant = F.normalize(torch.ones(8), dim=0)
    metric = RetrievalMetric()
    for i in range(num_videos):
        metric.process(None, [
            as_sample(i, constant.clone(),
                      constant.repeat(2, 1), typed=False)
        ])
    metrics = metric.compute_metrics(metric.results)
    for direction in ('t2v', 'v2t'):
        assert metrics[f'dual/{direction}/R@1'] <= \
            metrics[f'dual/{direction}/chance_R@1']
        assert metrics[f'dual/{direction}/R@10'] < 100
    # Every text ties with all videos, so it ranks last.
    assert metrics['dual/t2v/MdR'] == num_videos
    # A video's best caption ties with the 38 captions of other videos.
    assert metrics['dual/v2t/MdR'] == 2 * num_videos - 1


def test_dual_softmax_scores_by_hand():
    # 2 texts x 2 videos, temperature 1. Column 0 holds (1, 0): the softmax
    # over texts is (e, 1) / (e + 1); column 1 holds (0, 1) likewise.
    scores = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    e = torch.e
    t2v, v2t = dual_softmax_scores(scores, temperature=1.0)
    torch.testing.assert_close(
        t2v, torch.tensor([[e / (e + 1), 0.0], [0.0, e / (e + 1)]]))
    # A 2 x 3 case where the prior reorders a text's ranking: text 0 likes
    # video 1 best (0.6 vs 0.5), but video 1 prefers text 1 much more.
    scores = torch.tensor([[0.5, 0.6, 0.1], [0.1, 0.9, 0.2]])
    t2v, v2t = dual_softmax_scores(scores, temperature=0.1)
    prior_t2v = torch.exp(scores / 0.1) / torch.exp(scores / 0.1).sum(
        0, keepdim=True)
    prior_v2t = torch.exp(scores / 0.1) / torch.exp(scores / 0.1).sum(
        1, keepdim=True)
    torch.testing.assert_close(t2v, scores * prior_t2v)
    torch.testing.assert_close(v2t, scores * prior_v2t)
    # By hand: 0.5 * e^4 / (e^4 + e^0) = 0.4910 beats
    # 0.6 * e^-3 / (1 + e^-3) = 0.0284 (softmax(6, 9) = 1 / (1 + e^3)).
    assert t2v[0, 0] == pytest.approx(0.5 / (1 + e**-4), rel=1e-5)
    assert t2v[0, 1] == pytest.approx(0.6 / (1 + e**3), rel=1e-5)
    assert scores[0].argmax() == 1 and t2v[0].argmax() == 0


def test_dsl_is_reported_under_its_own_keys():
    """The same gallery ranked with DSL: ``dual/`` keys are unchanged and
    ``dsl/`` keys equal the naive ranks of the hand-built DSL matrix."""
    videos, texts = make_gallery(9, seed=2)
    both = RetrievalMetric(scoring=('dual', 'dsl'), dsl_temperature=0.05)
    dual_only = RetrievalMetric()
    for i in range(9):
        for metric in (both, dual_only):
            metric.process(None, [as_sample(i, videos[i], texts[i], False)])
    metrics = both.compute_metrics(both.results)
    assert {k for k in metrics if k.startswith('dual/')} == set(
        dual_only.compute_metrics(dual_only.results))
    for key, value in dual_only.compute_metrics(dual_only.results).items():
        assert metrics[key] == value

    text_to_video = [i for i, t in enumerate(texts) for _ in range(len(t))]
    scores = torch.cat(texts) @ videos.T
    weights = torch.exp(scores / 0.05)
    t2v_scores = scores * weights / weights.sum(0, keepdim=True)
    v2t_scores = scores * weights / weights.sum(1, keepdim=True)
    expected_t2v = recall_summary(
        torch.tensor(naive_t2v_ranks(t2v_scores, text_to_video)))
    expected_v2t = recall_summary(
        torch.tensor(naive_v2t_ranks(v2t_scores, text_to_video)))
    for name, value in expected_t2v.items():
        assert metrics[f'dsl/t2v/{name}'] == pytest.approx(value), name
    for name, value in expected_v2t.items():
        assert metrics[f'dsl/v2t/{name}'] == pytest.approx(value), name
    assert metrics['dsl/num_videos'] == 9
    # The prior does change the ranking on this gallery (else the test
    # could not tell DSL from dual).
    assert any(metrics[f'dsl/t2v/{k}'] != metrics[f'dual/t2v/{k}']
               for k in ('R@1', 'MnR'))
