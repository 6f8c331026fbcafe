"""Text-video retrieval metric with several captions per video.

Ranks are 1-based. **Ties are broken pessimistically**: the ground truth
ranks behind every other candidate that scores at least as high, i.e.
``rank = 1 + #(other candidates with score >= ground-truth score)``. An
optimistic (or index-order) tie-break would give a collapsed model, whose
embeddings are all equal, R@1 = 100%; the pessimistic rule gives it the
worst rank, at or below chance, so a collapse can never pass for success.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from clover.registry import METRICS

# Text rows compared at once: bounds the (chunk, num_videos) temporaries.
DEFAULT_CHUNK_SIZE = 4096
SCORING_MODES = ('dual', 'dsl')


def _check_scores(scores: torch.Tensor, text_to_video: torch.Tensor) -> None:
    if scores.dim() != 2 or text_to_video.shape != scores.shape[:1]:
        raise ValueError(
            'scores must be (num_texts, num_videos) and text_to_video '
            f'(num_texts,), got {tuple(scores.shape)} and '
            f'{tuple(text_to_video.shape)}.')
    if not torch.isfinite(scores).all():
        raise ValueError('scores hold NaN or inf (check the embeddings).')


def t2v_ranks(scores: torch.Tensor,
              text_to_video: torch.Tensor,
              chunk_size: int = DEFAULT_CHUNK_SIZE) -> torch.Tensor:
    """Rank of each text's own video among all videos.

    Args:
        scores (Tensor): ``(N_t, N_v)`` text-video similarities.
        text_to_video (Tensor): ``(N_t,)`` index of each text's video.
        chunk_size (int): Text rows compared at once.

    Returns:
        Tensor: ``(N_t,)`` int64 ranks in ``[1, N_v]``, ties pessimistic.
    """
    _check_scores(scores, text_to_video)
    gt_scores = scores.gather(1, text_to_video[:, None])
    ranks = [
        # The ground truth itself is counted once, which is the "1 +".
        (scores[start:start + chunk_size] >=
         gt_scores[start:start + chunk_size]).sum(1)
        for start in range(0, scores.shape[0], chunk_size)
    ]
    return torch.cat(ranks).long()


def v2t_ranks(scores: torch.Tensor,
              text_to_video: torch.Tensor,
              chunk_size: int = DEFAULT_CHUNK_SIZE) -> torch.Tensor:
    """Rank of each video's best own caption among all texts.

    A video is hit at rank r if any of its captions is; the other captions
    of the same video are not competitors. So the rank is
    ``1 + #(texts of other videos scoring >= the video's best caption)``.

    Args:
        scores (Tensor): ``(N_t, N_v)`` text-video similarities.
        text_to_video (Tensor): ``(N_t,)`` index of each text's video; every
            video must own at least one text.
        chunk_size (int): Text rows compared at once.

    Returns:
        Tensor: ``(N_v,)`` int64 ranks in ``[1, N_t - K_v + 1]``.
    """
    _check_scores(scores, text_to_video)
    num_videos = scores.shape[1]
    own_counts = torch.bincount(text_to_video, minlength=num_videos)
    if (own_counts == 0).any():
        missing = torch.nonzero(own_counts == 0).flatten()[:10].tolist()
        raise ValueError(f'videos {missing} have no text.')
    own_scores = scores.gather(1, text_to_video[:, None]).squeeze(1)
    best_own = torch.full((num_videos, ), -torch.inf, dtype=scores.dtype)
    best_own.scatter_reduce_(0, text_to_video, own_scores, reduce='amax')

    num_at_least_best = torch.zeros(num_videos, dtype=torch.long)
    for start in range(0, scores.shape[0], chunk_size):
        chunk = scores[start:start + chunk_size]
        num_at_least_best += (chunk >= best_own[None]).sum(0)
    # Own captions at the best score were counted above; they are not
    # competitors.
    own_at_best = torch.bincount(
        text_to_video,
        weights=(own_scores >= best_own[text_to_video]).double(),
        minlength=num_videos).long()
    return 1 + num_at_least_best - own_at_best


def dual_softmax_scores(scores: torch.Tensor, temperature: float
                        ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Dual softmax (DSL) re-scoring of a text-video similarity matrix.

    DSL (Cheng et al., 2021, "Improving video-text retrieval by multi-stream
    corpus alignment and dual softmax loss") multiplies each similarity by a
    prior computed along the *other* axis than the one being ranked: for
    text-to-video, ``s'[t, v] = s[t, v] * softmax_t'(s[t', v] / T)[t]``
    (how strongly video ``v`` prefers text ``t`` among all query texts);
    for video-to-text the softmax runs over the videos of text ``t``. It is
    transductive: every score depends on the whole test query set.

    Args:
        scores (Tensor): ``(N_t, N_v)`` similarities (cosines).
        temperature (float): Softmax temperature ``T`` of the prior.

    Returns:
        tuple[Tensor, Tensor]: ``(N_t, N_v)`` scores for text-to-video and
        for video-to-text ranking.
    """
    logits = scores / temperature
    t2v = scores * torch.softmax(logits, dim=0)
    v2t = scores * torch.softmax(logits, dim=1)
    return t2v, v2t


def recall_summary(ranks: torch.Tensor,
                   ks: Sequence[int] = (1, 5, 10)) -> Dict[str, float]:
    """Recall at k (in %), median and mean rank of 1-based ranks.

    Args:
        ranks (Tensor): ``(N,)`` ranks, 1 is best.
        ks (Sequence[int]): The k of each R@k. Defaults to (1, 5, 10).

    Returns:
        dict[str, float]: ``R@k`` for each k, ``MdR`` (median, the mean of
        the two middle ranks for even N) and ``MnR``.
    """
    ranks = ranks.double()
    summary = {f'R@{k}': 100.0 * (ranks <= k).double().mean().item()
               for k in ks}
    summary['MdR'] = float(np.median(ranks.numpy()))
    summary['MnR'] = ranks.mean().item()
    return summary


@METRICS.register_module()
class RetrievalMetric(BaseMetric):
    """Text-to-video and video-to-text retrieval over a video gallery.

    Each data sample from the model's ``predict`` is one video with
    ``video_embedding`` ``(D,)``, ``text_embeddings`` ``(K, D)`` (both
    L2-normalised; K may differ per video) and ``video_index``. Scores are
    dot products, i.e. cosine similarities. Text-to-video ranks each text's
    video among all videos; video-to-text counts a hit for any of the
    video's captions. Ties are broken pessimistically (see the module doc).

    Keys for the dual-encoder scores: ``dual/t2v/R@1``, ``R@5``,
    ``R@10`` (in %), ``dual/t2v/MdR``, ``dual/t2v/MnR``,
    ``dual/t2v/Recall@all`` (``R@1 + R@5 + R@10 - MdR``, the official
    code's model-selection score), the same under
    ``dual/v2t/``, ``dual/t2v/chance_R@1`` (100 / num_videos),
    ``dual/v2t/chance_R@1`` (expected R@1 of a random ranking: the mean over
    videos of K / num_texts, in %; it works out to 100 / num_videos too),
    ``dual/num_videos``, ``dual/num_texts``. Each further scoring mode
    reports the same keys under its own name (``dsl/t2v/R@1``, ...), so
    post-processed numbers are never mixed into ``dual/``.

    Args:
        scoring (str or Sequence[str]): Scoring modes to report, any of
            ``'dual'`` (cosine of the dual-encoder embeddings, Clover's
            protocol) and ``'dsl'`` (dual softmax re-scoring of those
            cosines, see :func:`dual_softmax_scores`; opt-in, as
            InternVideo reports it). Defaults to ``('dual', )``.
        dsl_temperature (float): Temperature of the DSL prior over cosine
            similarities; 0.01 is CLIP's logit scale of 100. Defaults to
            0.01.
        chunk_size (int): Text rows ranked at once. Defaults to 4096.
        collect_device (str): Device used to gather results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prepended to every key (e.g. a dataset
            name). Defaults to None (the keys already carry the scoring).
        collect_dir (str, optional): Directory for CPU collection.
    """
    # Not None: the keys already carry the scoring mode, no prefix needed.
    default_prefix: Optional[str] = ''

    def __init__(self,
                 scoring: Union[str, Sequence[str]] = ('dual', ),
                 dsl_temperature: float = 0.01,
                 chunk_size: int = DEFAULT_CHUNK_SIZE,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        scoring = (scoring, ) if isinstance(scoring, str) else tuple(scoring)
        unknown = [mode for mode in scoring if mode not in SCORING_MODES]
        if not scoring or unknown or len(set(scoring)) != len(scoring):
            raise ValueError(
                f'RetrievalMetric: scoring must be distinct modes out of '
                f'{SCORING_MODES}, got {scoring!r}.')
        if dsl_temperature <= 0:
            raise ValueError('RetrievalMetric: dsl_temperature must be > 0, '
                             f'got {dsl_temperature}.')
        self.scoring = scoring
        self.dsl_temperature = dsl_temperature
        self.chunk_size = chunk_size
        self._dataset_size: Optional[int] = None

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Store the embeddings of each video as CPU float32 tensors.

        Args:
            data_batch: The input batch (unused).
            data_samples (Sequence[dict or VideoTextDataSample]): The model's
                predictions, one per video.
        """
        for sample in data_samples:
            get = sample.get
            index = get('video_index')
            video = get('video_embedding')
            texts = get('text_embeddings')
            if index is None or video is None or texts is None:
                raise KeyError(
                    'RetrievalMetric needs video_index, video_embedding and '
                    'text_embeddings in every data sample; got keys '
                    f'{sorted(sample.keys())}.')
            video = video.detach().float().cpu()
            texts = texts.detach().float().cpu()
            if (video.dim() != 1 or texts.dim() != 2 or texts.shape[0] == 0
                    or texts.shape[1] != video.shape[0]):
                raise ValueError(
                    f'RetrievalMetric: video_index={int(index)} has '
                    f'video_embedding {tuple(video.shape)} and '
                    f'text_embeddings {tuple(texts.shape)}; expected (D,) '
                    'and (K, D) with K >= 1.')
            self.results.append(
                dict(
                    video_index=int(index),
                    video_embedding=video,
                    text_embeddings=texts))

    def evaluate(self, size: int) -> dict:
        """Gather over ranks, drop the sampler's padding and compute.

        Args:
            size (int): Number of videos in the dataset; every index in
                ``[0, size)`` must have been processed.

        Returns:
            dict: The metrics, keys as in the class doc.
        """
        self._dataset_size = size
        try:
            return super().evaluate(size)
        finally:
            self._dataset_size = None

    def _gallery(self, results: List[dict]) -> List[dict]:
        """One result per video index, in index order."""
        if not results:
            raise ValueError('RetrievalMetric got no results.')
        by_index = {}
        for result in results:
            by_index.setdefault(result['video_index'], result)
        expected = self._dataset_size
        if expected is None:
            expected = max(by_index) + 1
        missing = sorted(set(range(expected)) - set(by_index))
        unexpected = sorted(set(by_index) - set(range(expected)))
        if missing or unexpected:
            raise ValueError(
                f'RetrievalMetric expects video_index 0..{expected - 1}; '
                f'missing {missing[:10]}{"..." if len(missing) > 10 else ""}'
                f' ({len(missing)}), out of range {unexpected[:10]}.')
        return [by_index[index] for index in range(expected)]

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Rank the whole gallery.

        Args:
            results (list[dict]): Stored by :meth:`process`, from all ranks.

        Returns:
            dict[str, float]: The metrics, keys as in the class doc.
        """
        gallery = self._gallery(results)
        videos = torch.stack([r['video_embedding'] for r in gallery])
        texts = torch.cat([r['text_embeddings'] for r in gallery])
        texts_per_video = torch.tensor(
            [len(r['text_embeddings']) for r in gallery])
        text_to_video = torch.repeat_interleave(
            torch.arange(len(gallery)), texts_per_video)
        scores = texts @ videos.T
        metrics = {}
        for mode in self.scoring:
            if mode == 'dsl':
                t2v_scores, v2t_scores = dual_softmax_scores(
                    scores, self.dsl_temperature)
            else:
                t2v_scores = v2t_scores = scores
            metrics.update(
                self._rank_metrics(mode, t2v_scores, v2t_scores,
                                   text_to_video, texts_per_video))
        return metrics

    def _rank_metrics(self, mode: str, t2v_scores: torch.Tensor,
                      v2t_scores: torch.Tensor, text_to_video: torch.Tensor,
                      texts_per_video: torch.Tensor) -> Dict[str, float]:
        """The keys of one scoring mode, from its ``(N_t, N_v)`` scores."""
        num_texts, num_videos = t2v_scores.shape
        metrics = {}
        for direction, ranks in (
            ('t2v', t2v_ranks(t2v_scores, text_to_video, self.chunk_size)),
            ('v2t', v2t_ranks(v2t_scores, text_to_video, self.chunk_size)),
        ):
            summary = recall_summary(ranks)
            # The official code's model-selection score.
            summary['Recall@all'] = (summary['R@1'] + summary['R@5'] +
                                     summary['R@10'] - summary['MdR'])
            for name, value in summary.items():
                metrics[f'{mode}/{direction}/{name}'] = value
        metrics[f'{mode}/t2v/chance_R@1'] = 100.0 / num_videos
        metrics[f'{mode}/v2t/chance_R@1'] = (
            100.0 * texts_per_video.double().mean().item() / num_texts)
        metrics[f'{mode}/num_videos'] = num_videos
        metrics[f'{mode}/num_texts'] = num_texts
        return metrics
