"""Accuracy metrics of the video QA tasks (``docs/method.md`` §4.2).

**Ties are broken pessimistically**, as in the retrieval metric: when a
sample carries scores, it counts as right only if the ground truth scores
strictly higher than every other answer. A collapsed model whose scores are
all equal thus gets 0, not the frequency of answer 0. Without scores the
model's ``pred_label`` is compared as it is.
"""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric

from clover.registry import METRICS


def is_strictly_best(scores: torch.Tensor, label: int) -> bool:
    """Whether ``scores[label]`` beats every other score.

    Args:
        scores (Tensor): ``(A,)`` scores of the answers.
        label (int): The ground-truth index; -1 (outside the vocabulary)
            is never right.

    Returns:
        bool: True when ``label`` is the unique argmax.
    """
    if label == -1:
        return False
    others = torch.cat([scores[:label], scores[label + 1:]])
    return others.numel() == 0 or bool(scores[label] > others.max())


@METRICS.register_module()
class VideoQAAccuracy(BaseMetric):
    """Answer accuracy (in %) of open-ended QA, fill-in-the-blank and
    multiple choice.

    Each sample needs ``question_id`` (results are de-duplicated by it, so
    the padding a distributed sampler adds is counted once), the ground
    truth ``gt_label`` (the answer class, or the right candidate for
    multiple choice) and ``pred_scores`` ``(A,)`` or ``pred_label``.
    Ground truth -1 marks a test answer outside the
    training vocabulary: it is always counted wrong (the official
    protocol's denominator is every test question). Ties: see the module
    doc.

    Keys (after ``prefix/``): ``acc``, ``acc/<type>`` for each
    ``question_type`` present (only the samples that have one),
    ``num_questions``.

    Args:
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to 'cpu'.
        prefix (str, optional): Key prefix. Defaults to ``'qa'``.
        collect_dir (str, optional): Directory for CPU collection.
    """
    default_prefix: Optional[str] = 'qa'

    def _required(self, sample, key: str):
        value = sample.get(key)
        if value is None:
            raise KeyError(
                f'{type(self).__name__} needs {key!r} in every data sample '
                f'(question_id={sample.get("question_id")!r}); got keys '
                f'{sorted(sample.keys())}.')
        return value

    def _is_correct(self, sample, label: int) -> bool:
        """Judge one sample by its scores, or by ``pred_label``."""
        scores = sample.get('pred_scores')
        if scores is None:
            return label != -1 and int(
                self._required(sample, 'pred_label')) == label
        return self._judge_scores(sample, scores.detach().float().cpu(),
                                  label)

    def _judge_scores(self, sample, scores: torch.Tensor,
                      label: int) -> bool:
        if scores.dim() != 1 or label >= scores.shape[0]:
            raise ValueError(
                f'{type(self).__name__}: question_id='
                f'{sample.get("question_id")!r} has scores of shape '
                f'{tuple(scores.shape)} and gt_label={label}.')
        return is_strictly_best(scores, label)

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Judge each sample now; only the verdict is kept (scores over a
        large vocabulary are not worth gathering).

        Args:
            data_batch: The input batch (unused).
            data_samples (Sequence[dict or VideoTextDataSample]): The
                model's predictions.
        """
        for sample in data_samples:
            question_id = self._required(sample, 'question_id')
            label = int(self._required(sample, 'gt_label'))
            if label < -1:
                raise ValueError(
                    f'{type(self).__name__}: question_id={question_id!r} has '
                    f'gt_label={label}.')
            self.results.append(
                dict(
                    question_id=str(question_id),
                    correct=self._is_correct(sample, label),
                    question_type=sample.get('question_type')))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Accuracy over unique questions, overall and per type.

        Args:
            results (list[dict]): Stored by :meth:`process`, all ranks.

        Returns:
            dict[str, float]: Keys as in the class doc.
        """
        if not results:
            raise ValueError(f'{type(self).__name__} got no results.')
        unique = {}
        for result in results:
            unique.setdefault(result['question_id'], result)
        by_type: Dict[str, List[bool]] = {}
        for result in unique.values():
            if result['question_type'] is not None:
                by_type.setdefault(str(result['question_type']),
                                   []).append(result['correct'])
        metrics = {
            'acc': 100.0 * sum(r['correct'] for r in unique.values()) /
            len(unique)
        }
        for question_type in sorted(by_type):
            verdicts = by_type[question_type]
            metrics[f'acc/{question_type}'] = \
                100.0 * sum(verdicts) / len(verdicts)
        metrics['num_questions'] = len(unique)
        return metrics


@METRICS.register_module()
class MultipleChoiceRetrievalAccuracy(VideoQAAccuracy):
    """Retrieval-style multiple choice (MSRVTT-MC): the answer is the
    candidate caption whose embedding has the highest cosine similarity
    with the video's.

    Each sample needs ``question_id``, ``gt_label`` (the right candidate),
    ``video_embedding`` ``(D,)`` and ``text_embeddings`` ``(K, D)`` (one row
    per candidate, e.g. from :class:`CloverRetrieval`'s ``predict``); the
    embeddings are L2-normalised here. Ties are pessimistic (module doc).

    Keys (after ``prefix/``): ``acc`` (in %), ``num_questions``, and
    ``acc/<type>`` when samples carry ``question_type``.

    Args:
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to 'cpu'.
        prefix (str, optional): Key prefix. Defaults to
            ``'mc_retrieval'``.
        collect_dir (str, optional): Directory for CPU collection.
    """
    default_prefix: Optional[str] = 'mc_retrieval'

    def _is_correct(self, sample, label: int) -> bool:
        """Judge one sample by the cosine of each candidate with the
        video."""
        video = self._required(sample, 'video_embedding').detach().float()
        texts = self._required(sample, 'text_embeddings').detach().float()
        if (video.dim() != 1 or texts.dim() != 2
                or texts.shape[1] != video.shape[0]):
            raise ValueError(
                f'{type(self).__name__}: question_id='
                f'{sample.get("question_id")!r} has video_embedding '
                f'{tuple(video.shape)} and text_embeddings '
                f'{tuple(texts.shape)}; expected (D,) and (K, D).')
        scores = F.normalize(texts.cpu(), dim=-1) @ \
            F.normalize(video.cpu(), dim=0)
        return self._judge_scores(sample, scores, label)
