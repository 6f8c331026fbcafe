"""Answer heads of Clover's video question answering models
(``docs/method.md`` §1: the official ``QA_OE_Head`` and ``QA_MC_head``):
the classifiers, their losses and their predictions."""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from clover.registry import MODELS
from clover.structures import VideoTextDataSample, sample_name
from ..utils.weight_init import init_head_weights


def gt_labels(data_samples: Sequence[VideoTextDataSample], owner: str,
              label_name: str, low: int, high: int) -> List[int]:
    """The ``gt_label`` of every sample, checked on the host.

    Args:
        data_samples (Sequence[VideoTextDataSample]): The batch.
        owner (str): Named in error messages.
        label_name (str): The dataset field the label comes from
            (``'answer_label'`` or ``'answer_index'``), for the messages.
        low (int): Smallest allowed label.
        high (int): One past the largest allowed label.

    Returns:
        list[int]: One label per sample.
    """
    if not data_samples:
        raise ValueError(f'{owner}: training needs data_samples carrying '
                         f'gt_label (from {label_name!r}).')
    labels = []
    for index, sample in enumerate(data_samples):
        label = sample.get('gt_label')
        if label is None:
            raise KeyError(
                f'{owner}: {sample_name(data_samples, index)} has no '
                f'gt_label; PackVideoTextInputs sets it from the item\'s '
                f'{label_name!r}.')
        if not low <= label < high:
            raise ValueError(
                f'{owner}: {sample_name(data_samples, index)} has '
                f'{label_name} {label}, outside [{low}, {high}).')
        labels.append(int(label))
    return labels


def set_predictions(scores: Sequence[torch.Tensor],
                    data_samples: List[VideoTextDataSample]
                    ) -> List[VideoTextDataSample]:
    """Set ``pred_scores`` (softmax probabilities) and ``pred_label`` (their
    argmax; the first index on ties) from each sample's raw scores."""
    for sample, own in zip(data_samples, scores):
        sample.pred_scores = own.softmax(dim=-1)
        sample.pred_label = int(own.argmax())
    return data_samples


class _AnswerMLP(BaseModule):
    """``Dropout -> Linear -> LN -> GELU -> Linear``, the layout shared by
    both official QA heads.

    Weights are Xavier-uniform with zero biases and unit LayerNorms, as for
    every official head.

    Args:
        in_channels (int): Width of the fused feature.
        hidden_channels (int): Hidden width.
        out_channels (int): Number of outputs.
        dropout (float): Dropout on the input feature.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 out_channels: int,
                 dropout: float,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('in_channels', in_channels),
                            ('hidden_channels', hidden_channels),
                            ('out_channels', out_channels)):
            if value < 1:
                raise ValueError(f'{type(self).__name__}: {name} must be '
                                 f'positive, got {value}.')
        if not 0 <= dropout < 1:
            raise ValueError(f'{type(self).__name__}: dropout must be in '
                             f'[0, 1), got {dropout}.')
        self.in_channels = in_channels
        self.layers = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(in_channels, hidden_channels),
            nn.LayerNorm(hidden_channels),
            nn.GELU(),
            nn.Linear(hidden_channels, out_channels))
        init_head_weights(self)

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__}: expected features of shape '
                f'(N, {self.in_channels}), got {tuple(x.shape)}.')


@MODELS.register_module()
class OpenEndedQAHead(_AnswerMLP):
    """Classifier over a fixed answer vocabulary (official ``QA_OE_Head``):
    ``Dropout(p) -> Linear(D, D/2) -> LN -> GELU -> Linear(D/2, A)``.

    Used on the fused [CLS] (open-ended QA) or on the fused hidden state at
    the ``[MASK]`` token (fill-in-the-blank).

    Args:
        in_channels (int): Width ``D`` of the fused feature (768 for
            BERT-base).
        num_answers (int): Answer vocabulary size ``A`` (MSRVTT-QA 1500,
            MSVD-QA 1000, TGIF-FrameQA 1540, LSMDC-FiB 908).
        hidden_channels (int, optional): Hidden width. Defaults to
            ``in_channels // 2`` (384 for D = 768, as official).
        dropout (float): Input dropout: 0.1 for MSRVTT-QA / TGIF-FrameQA,
            0.5 for MSVD-QA / LSMDC-FiB. Defaults to 0.1.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 in_channels: int,
                 num_answers: int,
                 hidden_channels: Optional[int] = None,
                 dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        if hidden_channels is None:
            hidden_channels = max(in_channels // 2, 1)
        super().__init__(in_channels, hidden_channels, num_answers, dropout,
                         init_cfg)
        self.num_answers = num_answers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score every answer.

        Args:
            x (Tensor): ``(N, D)`` fused features.

        Returns:
            Tensor: ``(N, A)`` answer logits.
        """
        self._check_input(x)
        return self.layers(x)

    def loss(self, x: torch.Tensor, data_samples: List[VideoTextDataSample]
             ) -> Dict[str, torch.Tensor]:
        """Cross-entropy over the answer vocabulary.

        Out-of-vocabulary samples (``gt_label == -1``) are left out; a batch
        with only such samples gives a zero loss that keeps the graph.

        Args:
            x (Tensor): ``(B, D)`` fused features, one per question.
            data_samples (list[VideoTextDataSample]): Each carries
                ``gt_label`` (in ``[0, A)``, or -1).

        Returns:
            dict: ``loss_qa`` (mean over labelled samples) and the
            diagnostic ``qa_acc`` (their share answered right; 0 if none).
        """
        labels = gt_labels(data_samples, type(self).__name__, 'answer_label',
                           -1, self.num_answers)
        logits = self(x)
        labelled = [i for i, label in enumerate(labels) if label != -1]
        if not labelled:
            # Keeps the graph (DDP) without the NaN of an empty mean.
            return dict(
                loss_qa=logits.sum() * 0., qa_acc=logits.new_zeros(()))
        rows = torch.tensor(labelled, device=logits.device)
        targets = torch.tensor([labels[i] for i in labelled],
                               device=logits.device)
        logits = logits[rows]
        with torch.no_grad():
            accuracy = (logits.argmax(-1) == targets).float().mean()
        return dict(
            loss_qa=F.cross_entropy(logits, targets), qa_acc=accuracy)

    def predict(self, x: torch.Tensor,
                data_samples: List[VideoTextDataSample]
                ) -> List[VideoTextDataSample]:
        """Set ``pred_scores`` ``(A,)`` and ``pred_label`` per question.

        Args:
            x (Tensor): ``(B, D)`` fused features.
            data_samples (list[VideoTextDataSample]): One per question.
        """
        return set_predictions(self(x), data_samples)


@MODELS.register_module()
class MultipleChoiceHead(_AnswerMLP):
    """One score per fused (video, candidate) pair (official
    ``QA_MC_head``): ``Dropout(p) -> Linear(D, 256) -> LN -> GELU ->
    Linear(256, 1)``.

    Args:
        in_channels (int): Width ``D`` of the fused feature.
        hidden_channels (int): Hidden width. Defaults to 256 (official).
        dropout (float): Input dropout. Defaults to 0.1.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int = 256,
                 dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_channels, hidden_channels, 1, dropout, init_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score candidates.

        Args:
            x (Tensor): ``(N, D)`` fused features, one per candidate.

        Returns:
            Tensor: ``(N,)`` candidate scores (logits).
        """
        self._check_input(x)
        return self.layers(x).squeeze(-1)

    @staticmethod
    def candidates_per_sample(data_samples: Sequence[VideoTextDataSample],
                              num_texts: int) -> List[int]:
        """Candidates of each sample (its ``text`` entries), checked against
        the ``num_texts`` texts of the batch."""
        counts = [sample.num_texts for sample in data_samples]
        if sum(counts) != num_texts:
            raise ValueError(
                f'MultipleChoiceHead: the data samples list {sum(counts)} '
                f'candidate texts ({counts}) but the batch has {num_texts}; '
                "each sample's text must hold its candidates.")
        return counts

    def loss(self, x: torch.Tensor, data_samples: List[VideoTextDataSample]
             ) -> Dict[str, torch.Tensor]:
        """Cross-entropy over each clip's K candidates.

        Args:
            x (Tensor): ``(B * K, D)`` fused features, the K candidates of
                each clip in a row.
            data_samples (list[VideoTextDataSample]): Each carries its K
                candidates as ``text`` and ``gt_label`` in ``[0, K)``.

        Returns:
            dict: ``loss_mc`` and the diagnostic ``mc_acc``.
        """
        counts = self.candidates_per_sample(data_samples, x.shape[0])
        if len(set(counts)) != 1:
            raise ValueError(
                'MultipleChoiceHead: training needs the same number of '
                f'candidates per clip, got {counts}.')
        labels = gt_labels(data_samples, type(self).__name__, 'answer_index',
                           0, counts[0])
        scores = self(x).view(-1, counts[0])
        labels = torch.tensor(labels, device=scores.device)
        with torch.no_grad():
            accuracy = (scores.argmax(-1) == labels).float().mean()
        return dict(loss_mc=F.cross_entropy(scores, labels), mc_acc=accuracy)

    def predict(self, x: torch.Tensor,
                data_samples: List[VideoTextDataSample]
                ) -> List[VideoTextDataSample]:
        """Set ``pred_scores`` ``(K,)`` and ``pred_label`` per clip; K may
        differ between clips.

        Args:
            x (Tensor): ``(N, D)`` fused features, one per candidate.
            data_samples (list[VideoTextDataSample]): One per clip.
        """
        counts = self.candidates_per_sample(data_samples, x.shape[0])
        return set_predictions(self(x).split(counts), data_samples)
