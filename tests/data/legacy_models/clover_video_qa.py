"""Clover's fusion-based downstream models: open-ended video QA,
fill-in-the-blank and multiple choice (``clover_method.md`` §4.1)."""
from abc import abstractmethod
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from clover.registry import MODELS
from clover.structures import VideoTextDataSample
from ..necks.fusion_transformer import FusionOutput

# The tokenizer's [MASK] id of bert-base-uncased.
BERT_MASK_TOKEN_ID = 103


def _sample_name(data_samples: Optional[List[VideoTextDataSample]],
                 index: int) -> str:
    """How an error message names the ``index``-th sample of a batch."""
    if data_samples is not None and index < len(data_samples):
        question_id = data_samples[index].get('question_id')
        if question_id is not None:
            return f'sample {index} (question_id={question_id!r})'
    return f'sample {index}'


def _metainfo_labels(data_samples: Optional[List[VideoTextDataSample]],
                     key: str, owner: str) -> torch.Tensor:
    """Collect the int field ``key`` of every sample into a ``(B,)``
    tensor."""
    if not data_samples:
        raise ValueError(f'{owner}: training needs data_samples carrying '
                         f'{key!r}.')
    labels = []
    for index, sample in enumerate(data_samples):
        label = sample.get(key)
        if label is None:
            raise KeyError(
                f'{owner}: {_sample_name(data_samples, index)} has no '
                f"{key!r}; add it to PackVideoTextInputs' meta_keys.")
        labels.append(int(label))
    return torch.tensor(labels, dtype=torch.long)


class CloverFusionModel(BaseModel):
    """Shared part of the fusion fine-tuning models: the encoders, the
    fusion neck, a task head and multi-view video features.

    Module names match :class:`CloverPretrain` (``video_encoder``,
    ``text_encoder``, ``fusion``, ``video_head``, ``text_head``), so a
    pre-training checkpoint loads non-strictly; only ``qa_head`` is new.

    **No unused parameters** (``clover_method.md`` §6.6): the model builds
    only what its forward uses, so DDP works with
    ``find_unused_parameters=False``. Build the video encoder without the
    mask token (``use_mask_token=False``; the checkpoint's
    ``video_encoder.mask_token`` is then an unexpected key, which is fine).
    ``video_head`` / ``text_head`` are optional and default to None; when
    both are given they are frozen (no gradient, so DDP ignores them) and
    ``predict`` also fills the dual-encoder ``video_embedding`` ``(D,)`` and
    ``text_embeddings`` ``(K, D)``, which
    :class:`~clover.evaluation.metrics.MultipleChoiceRetrievalAccuracy`
    scores.

    **Multi-view clips**: ``imgs`` of shape ``(B, V, C, T, H, W)`` are
    encoded as ``B * V`` clips whose backbone feature maps are averaged over
    the V views before fusion (TGIF-Action / Transition test: 4 temporal
    views of 8 frames, ``clover_method.md`` §6.12).

    Args:
        video_encoder (dict): Video backbone config; output
            ``(B, C, T', H', W')``.
        text_encoder (dict): Text encoder config; output ``(N, L, D)``.
        fusion (dict): Fusion neck config
            (:class:`~clover.models.necks.FusionTransformer`).
        qa_head (dict): Task head config.
        video_head (dict, optional): Dual-encoder ``g_v`` (see above).
        text_head (dict, optional): Dual-encoder ``g_t`` (see above).
        freeze_text_encoder (bool): Freeze the whole text encoder (no
            gradients, dropout off). The official ``freeze_text_backbone``
            option was silently ignored (§6.13); this one is honoured.
            Defaults to False.
        data_preprocessor (dict, optional): Defaults to
            ``VideoTextDataPreprocessor``.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 video_encoder: dict,
                 text_encoder: dict,
                 fusion: dict,
                 qa_head: dict,
                 video_head: Optional[dict] = None,
                 text_head: Optional[dict] = None,
                 freeze_text_encoder: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='VideoTextDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if (video_head is None) != (text_head is None):
            raise ValueError(
                f'{type(self).__name__}: give both video_head and text_head '
                '(dual-encoder embeddings in predict) or neither.')
        self.video_encoder = MODELS.build(video_encoder)
        self.text_encoder = MODELS.build(text_encoder)
        self.fusion = MODELS.build(fusion)
        self.qa_head = MODELS.build(qa_head)
        self.video_head = None if video_head is None else \
            MODELS.build(video_head).requires_grad_(False)
        self.text_head = None if text_head is None else \
            MODELS.build(text_head).requires_grad_(False)
        self.freeze_text_encoder = freeze_text_encoder
        if freeze_text_encoder:
            self.text_encoder.requires_grad_(False)
            self.text_encoder.eval()

    def train(self, mode: bool = True) -> 'CloverFusionModel':
        """Set the training mode; a frozen text encoder stays in eval mode
        (no dropout)."""
        super().train(mode)
        if self.freeze_text_encoder:
            self.text_encoder.eval()
        return self

    def extract_video_feat(self, imgs: torch.Tensor) -> torch.Tensor:
        """Backbone feature maps, averaged over views for multi-view clips.

        Args:
            imgs (Tensor): ``(B, C, T, H, W)`` or ``(B, V, C, T, H, W)``.

        Returns:
            Tensor: ``(B, C', T', H', W')`` feature maps.
        """
        if imgs.dim() == 5:
            return self.video_encoder(imgs)
        if imgs.dim() != 6:
            raise ValueError(
                f'{type(self).__name__}: imgs must be (B, C, T, H, W) or '
                f'(B, V, C, T, H, W), got {tuple(imgs.shape)}.')
        num_clips, num_views = imgs.shape[:2]
        feat = self.video_encoder(imgs.flatten(0, 1))
        return feat.unflatten(0, (num_clips, num_views)).mean(dim=1)

    def extract_text_feat(self, text_ids: torch.Tensor,
                          text_mask: torch.Tensor) -> torch.Tensor:
        """Text encoder hidden states ``(N, L, D)`` (no graph when
        frozen)."""
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.freeze_text_encoder):
            return self.text_encoder(text_ids, text_mask)

    def _check_text_to_video(self, inputs: Dict[str, torch.Tensor]
                             ) -> torch.Tensor:
        """Texts per clip ``(B,)``; texts must be grouped by clip in order
        (as :class:`VideoTextDataPreprocessor` batches them)."""
        text_to_video = inputs['text_to_video']
        num_clips = inputs['imgs'].shape[0]
        counts = torch.bincount(text_to_video, minlength=num_clips)
        if (len(counts) != num_clips or (counts == 0).any()
                or (text_to_video.diff() < 0).any()):
            raise ValueError(
                f'{type(self).__name__}: every one of the {num_clips} clips '
                'needs its texts, grouped in clip order; got text_to_video '
                f'{text_to_video.tolist()}.')
        return counts

    def _fuse(self, inputs: Dict[str, torch.Tensor]
              ) -> Tuple[FusionOutput, torch.Tensor, torch.Tensor]:
        """Fuse every text with its clip's video features.

        Each clip is encoded once; its feature map is indexed for each of
        its texts, so K candidates of a clip share one video forward.

        Returns:
            tuple: The ``FusionOutput`` of the N texts, the
            ``(B, C', T', H', W')`` feature maps and the ``(N, L, D)`` text
            hidden states.
        """
        self._check_text_to_video(inputs)
        text_mask = inputs['text_mask']
        feat = self.extract_video_feat(inputs['imgs'])
        hidden = self.extract_text_feat(inputs['text_ids'], text_mask)
        fused = self.fusion(feat[inputs['text_to_video']], hidden, text_mask)
        return fused, feat, hidden

    def _add_dual_embeddings(self, inputs: Dict[str, torch.Tensor],
                             feat: torch.Tensor, hidden: torch.Tensor,
                             data_samples: List[VideoTextDataSample]) -> None:
        """Fill ``video_embedding`` ``(D,)`` and ``text_embeddings``
        ``(K, D)`` (L2-normalised) when the dual-encoder heads exist."""
        if self.video_head is None:
            return
        video = F.normalize(
            self.video_head(feat.flatten(2).mean(dim=2)), dim=-1)
        pooled = self.text_encoder.pool(hidden, inputs['text_mask'])
        text = F.normalize(self.text_head(pooled), dim=-1)
        for index, sample in enumerate(data_samples):
            sample.video_embedding = video[index]
            sample.text_embeddings = text[inputs['text_to_video'] == index]

    def forward(self,
                inputs: Dict[str, torch.Tensor],
                data_samples: Optional[List[VideoTextDataSample]] = None,
                mode: str = 'tensor'
                ) -> Union[Dict[str, torch.Tensor], List[VideoTextDataSample],
                           torch.Tensor]:
        """The MMEngine entry point.

        Args:
            inputs (dict): ``imgs`` ``(B, C, T, H, W)`` or
                ``(B, V, C, T, H, W)``, ``text_ids`` / ``text_mask``
                ``(N, L)`` and ``text_to_video`` ``(N,)``.
            data_samples (list[VideoTextDataSample], optional): One per clip.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'`` (the raw
                head outputs).
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._head_outputs(inputs)[0]
        raise ValueError(f"Invalid mode {mode!r}: expected 'loss', "
                         "'predict' or 'tensor'")

    @abstractmethod
    def _head_outputs(
        self,
        inputs: Dict[str, torch.Tensor],
        data_samples: Optional[List[VideoTextDataSample]] = None
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Head outputs plus the feature maps and text hidden states."""

    @abstractmethod
    def _scores_per_sample(self, outputs: torch.Tensor,
                           inputs: Dict[str, torch.Tensor]
                           ) -> List[torch.Tensor]:
        """Split head outputs into one score vector per sample."""

    def predict(self, inputs: Dict[str, torch.Tensor],
                data_samples: List[VideoTextDataSample]
                ) -> List[VideoTextDataSample]:
        """Set ``pred_label`` (int, the argmax; the first index on ties) and
        ``pred_scores`` (softmax probabilities) on each sample."""
        outputs, feat, hidden = self._head_outputs(inputs, data_samples)
        for sample, scores in zip(data_samples,
                                  self._scores_per_sample(outputs, inputs)):
            sample.pred_scores = scores.softmax(dim=-1)
            sample.pred_label = int(scores.argmax())
        self._add_dual_embeddings(inputs, feat, hidden, data_samples)
        return data_samples


@MODELS.register_module()
class CloverVideoQA(CloverFusionModel):
    """Open-ended video QA and fill-in-the-blank over an answer vocabulary.

    ::

        F = video_encoder(V)                        # (B, C', T', H', W')
        H = text_encoder(question)                  # (B, L, D)
        M = fusion(F, H).text                       # (B, L, D)
        x = M[:, 0]            (answer_position='cls', MSRVTT/MSVD/TGIF QA)
          | M[b, pos of [MASK]] (answer_position='mask', LSMDC-FiB)
        logits = qa_head(x)                         # (B, A)
        loss_qa = CE(logits, answer_label)  over samples with label != -1

    One text (the question) per clip. Out-of-vocabulary samples
    (``answer_label == -1``) are left out of the loss; a batch with only
    such samples gives a zero loss that keeps the graph.

    Caveat: the official FiB fusion appends a learnable [CLS] after the
    video tokens (``use_text_cls=False``); :class:`FusionTransformer` has no
    such token, so it is not reproduced (the answer is read at [MASK]
    either way).

    Args:
        video_encoder, text_encoder, fusion, video_head, text_head,
            freeze_text_encoder, data_preprocessor, init_cfg: See
            :class:`CloverFusionModel`.
        qa_head (dict): Answer classifier
            (:class:`~clover.models.heads.OpenEndedQAHead`).
        answer_position (str): ``'cls'`` (fused text [CLS]) or ``'mask'``
            (fused hidden state at the single ``[MASK]`` token of each
            text). Defaults to ``'cls'``.
        mask_token_id (int): Token id of ``[MASK]`` (the tokenizer's
            ``mask_token_id``). Defaults to 103 (bert-base-uncased).
    """

    def __init__(self,
                 video_encoder: dict,
                 text_encoder: dict,
                 fusion: dict,
                 qa_head: dict,
                 answer_position: str = 'cls',
                 mask_token_id: int = BERT_MASK_TOKEN_ID,
                 video_head: Optional[dict] = None,
                 text_head: Optional[dict] = None,
                 freeze_text_encoder: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if answer_position not in ('cls', 'mask'):
            raise ValueError("CloverVideoQA: answer_position must be 'cls' "
                             f"or 'mask', got {answer_position!r}.")
        super().__init__(
            video_encoder=video_encoder,
            text_encoder=text_encoder,
            fusion=fusion,
            qa_head=qa_head,
            video_head=video_head,
            text_head=text_head,
            freeze_text_encoder=freeze_text_encoder,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.answer_position = answer_position
        self.mask_token_id = mask_token_id

    def answer_positions(
            self,
            text_ids: torch.Tensor,
            text_mask: torch.Tensor,
            data_samples: Optional[List[VideoTextDataSample]] = None
    ) -> torch.Tensor:
        """Token position the answer is read from, per text.

        Args:
            text_ids (Tensor): ``(B, L)`` token ids.
            text_mask (Tensor): ``(B, L)`` 1 for real tokens.
            data_samples (list, optional): Named in error messages.

        Returns:
            Tensor: ``(B,)`` int64 positions (0 for ``'cls'``).
        """
        if self.answer_position == 'cls':
            return text_ids.new_zeros(text_ids.shape[0], dtype=torch.long)
        is_mask = (text_ids == self.mask_token_id) & text_mask.bool()
        counts = is_mask.sum(dim=1)
        for index in torch.nonzero(counts != 1).flatten().tolist():
            raise ValueError(
                f'CloverVideoQA: {_sample_name(data_samples, index)} has '
                f'{int(counts[index])} [MASK] tokens (id '
                f'{self.mask_token_id}); fill-in-the-blank needs exactly '
                'one per text.')
        return is_mask.long().argmax(dim=1)

    def _head_outputs(
        self,
        inputs: Dict[str, torch.Tensor],
        data_samples: Optional[List[VideoTextDataSample]] = None
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Answer logits ``(B, A)``, feature maps and text hidden states."""
        num_clips = inputs['imgs'].shape[0]
        if inputs['text_to_video'].tolist() != list(range(num_clips)):
            raise ValueError(
                'CloverVideoQA needs exactly one question per clip; got '
                f"text_to_video {inputs['text_to_video'].tolist()}.")
        positions = self.answer_positions(inputs['text_ids'],
                                          inputs['text_mask'], data_samples)
        fused, feat, hidden = self._fuse(inputs)
        rows = torch.arange(len(positions), device=positions.device)
        logits = self.qa_head(fused.text[rows, positions])
        return logits, feat, hidden

    def _scores_per_sample(self, outputs: torch.Tensor,
                           inputs: Dict[str, torch.Tensor]
                           ) -> List[torch.Tensor]:
        return list(outputs)

    def loss(self, inputs: Dict[str, torch.Tensor],
             data_samples: List[VideoTextDataSample]
             ) -> Dict[str, torch.Tensor]:
        """Cross-entropy over the answer vocabulary.

        Args:
            inputs (dict): See :meth:`forward`; one text per clip.
            data_samples (list[VideoTextDataSample]): Each carries
                ``answer_label`` (int in ``[0, A)``, or -1 for an answer
                outside the vocabulary).

        Returns:
            dict: ``loss_qa`` (mean over labelled samples) and the
            diagnostic ``qa_acc`` (their share answered right; 0 if none).
        """
        labels = _metainfo_labels(data_samples, 'answer_label',
                                  'CloverVideoQA')
        logits = self._head_outputs(inputs, data_samples)[0]
        labels = labels.to(logits.device)
        num_answers = logits.shape[1]
        out_of_range = (labels < -1) | (labels >= num_answers)
        for index in torch.nonzero(out_of_range).flatten().tolist():
            raise ValueError(
                f'CloverVideoQA: {_sample_name(data_samples, index)} has '
                f'answer_label {int(labels[index])}, outside [-1, '
                f'{num_answers}).')
        labelled = labels != -1
        if not labelled.any():
            # Keeps the graph (DDP) without the NaN of an empty mean.
            return dict(
                loss_qa=logits.sum() * 0., qa_acc=logits.new_zeros(()))
        logits, labels = logits[labelled], labels[labelled]
        with torch.no_grad():
            accuracy = (logits.argmax(-1) == labels).float().mean()
        return dict(loss_qa=F.cross_entropy(logits, labels), qa_acc=accuracy)


@MODELS.register_module()
class CloverMultipleChoice(CloverFusionModel):
    """Multiple-choice video QA by fusing each candidate separately.

    ::

        F = video_encoder(V)                        # (B, C', T', H', W'), once
        H = text_encoder(candidate texts)           # (N = B * K, L, D)
        s = qa_head(fusion(F[text_to_video], H).fused_cls)   # (N,) -> (B, K)
        loss_mc = CE(s, answer_index)

    Each candidate text (e.g. TGIF's ``"{q} Options: {...} Answer: {a_i}"``
    or an LSMDC-MC caption) is fused alone with its clip's features.

    Args:
        video_encoder, text_encoder, fusion, video_head, text_head,
            freeze_text_encoder, data_preprocessor, init_cfg: See
            :class:`CloverFusionModel`.
        qa_head (dict): Candidate scorer
            (:class:`~clover.models.heads.MultipleChoiceHead`).
    """

    def _head_outputs(
        self,
        inputs: Dict[str, torch.Tensor],
        data_samples: Optional[List[VideoTextDataSample]] = None
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Candidate scores ``(N,)``, feature maps and text hidden
        states."""
        fused, feat, hidden = self._fuse(inputs)
        return self.qa_head(fused.fused_cls), feat, hidden

    def _scores_per_sample(self, outputs: torch.Tensor,
                           inputs: Dict[str, torch.Tensor]
                           ) -> List[torch.Tensor]:
        counts = self._check_text_to_video(inputs)
        return list(outputs.split(counts.tolist()))

    def loss(self, inputs: Dict[str, torch.Tensor],
             data_samples: List[VideoTextDataSample]
             ) -> Dict[str, torch.Tensor]:
        """Cross-entropy over each clip's K candidates.

        Args:
            inputs (dict): See :meth:`forward`; the same number K of
                candidate texts for every clip.
            data_samples (list[VideoTextDataSample]): Each carries
                ``answer_index`` (int in ``[0, K)``).

        Returns:
            dict: ``loss_mc`` and the diagnostic ``mc_acc``.
        """
        labels = _metainfo_labels(data_samples, 'answer_index',
                                  'CloverMultipleChoice')
        counts = self._check_text_to_video(inputs)
        if (counts != counts[0]).any():
            raise ValueError(
                'CloverMultipleChoice: training needs the same number of '
                f'candidates per clip, got {counts.tolist()}.')
        num_candidates = int(counts[0])
        for index, label in enumerate(labels.tolist()):
            if not 0 <= label < num_candidates:
                raise ValueError(
                    'CloverMultipleChoice: '
                    f'{_sample_name(data_samples, index)} has answer_index '
                    f'{label}, outside [0, {num_candidates}).')
        scores = self._head_outputs(inputs)[0].view(-1, num_candidates)
        labels = labels.to(scores.device)
        with torch.no_grad():
            accuracy = (scores.argmax(-1) == labels).float().mean()
        return dict(loss_mc=F.cross_entropy(scores, labels), mc_acc=accuracy)
