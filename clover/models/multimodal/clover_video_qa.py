"""Clover's fusion-based downstream models: open-ended video QA,
fill-in-the-blank and multiple choice (``docs/method.md`` §4.1)."""
from abc import abstractmethod
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from clover.registry import MODELS
from clover.structures import VideoTextDataSample
from .clover_base import CloverBase

# The tokenizer's [MASK] id of bert-base-uncased.
BERT_MASK_TOKEN_ID = 103


class CloverFusionModel(CloverBase):
    """Shared part of the fusion fine-tuning models: :class:`CloverBase`
    with a fusion encoder and a task head ``qa_head`` that owns the loss and
    the prediction.

    **No unused parameters**: the model builds only what its forward uses,
    so DDP works with ``find_unused_parameters=False``. Build the video
    encoder without the mask token (``use_mask_token=False``; the
    checkpoint's ``video_encoder.mask_token`` is then an unexpected key,
    which is fine). ``retrieval_head`` is optional; when given it is frozen
    (no gradient, so DDP ignores it) and ``predict`` also fills the
    dual-encoder ``video_embedding`` ``(E,)`` and ``text_embeddings``
    ``(K, E)``, which
    :class:`~clover.evaluation.metrics.MultipleChoiceRetrievalAccuracy`
    scores.

    Args:
        video_encoder (dict): Video backbone config.
        text_encoder (dict): Text encoder config.
        fusion (dict): Fusion encoder config.
        qa_head (dict): Task head config.
        retrieval_head (dict, optional): A
            :class:`~clover.models.heads.RetrievalHead` config; built
            frozen and without a loss. Defaults to None.
        **kwargs: :class:`CloverBase`'s ``freeze_text_encoder``,
            ``data_preprocessor`` and ``init_cfg``.
    """

    def __init__(self,
                 video_encoder: dict,
                 text_encoder: dict,
                 fusion: dict,
                 qa_head: dict,
                 retrieval_head: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(video_encoder, text_encoder, None, fusion, **kwargs)
        self.qa_head = MODELS.build(qa_head)
        # Built after the task head, as the earlier layout did, so that a
        # seed gives the same initial weights.
        if retrieval_head is not None:
            self.retrieval_head = MODELS.build(
                dict(retrieval_head, loss=None, frozen=True))

    @abstractmethod
    def answer_features(
        self, inputs: Dict[str, torch.Tensor]
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The head's input features, plus the ``(B, C', T', H', W')``
        feature maps and the ``(N, L, D)`` text hidden states."""

    def _forward(self, inputs: Dict[str, torch.Tensor]) -> torch.Tensor:
        """The head's raw outputs (answer logits or candidate scores)."""
        return self.qa_head(self.answer_features(inputs)[0])

    def loss(self, inputs: Dict[str, torch.Tensor],
             data_samples: List[VideoTextDataSample]
             ) -> Dict[str, torch.Tensor]:
        """The head's loss; each sample carries ``gt_label``."""
        return self.qa_head.loss(self.answer_features(inputs)[0],
                                 data_samples)

    def predict(self, inputs: Dict[str, torch.Tensor],
                data_samples: List[VideoTextDataSample]
                ) -> List[VideoTextDataSample]:
        """Set ``pred_label`` and ``pred_scores`` on each sample, and the
        retrieval embeddings when the model has a retrieval head."""
        features, feat, hidden = self.answer_features(inputs)
        self.qa_head.predict(features, data_samples)
        if self.retrieval_head is not None:
            self.predict_embeddings(inputs, feat, hidden, data_samples)
        return data_samples


@MODELS.register_module()
class CloverVideoQA(CloverFusionModel):
    """Open-ended video QA and fill-in-the-blank over an answer vocabulary.

    ::

        F = video_encoder(V)                        # (B, C', T', H', W')
        H = text_encoder(question)                  # (B, L, D)
        H' = [q, H]  with fusion_token=True         # (B, 1 + L, D)
        M = fusion(F, H or H').text
        x = M[:, 0]            (answer_position='cls', MSRVTT/MSVD/TGIF QA)
          | M[b, pos of [MASK]] (answer_position='mask', LSMDC-FiB)
        logits = qa_head(x)                         # (B, A)

    One text (the question) per clip.

    ``fusion_token=True`` appends a learnable token ``q`` after the video
    tokens, the official FiB fusion input (``use_text_cls=False`` there): it
    enters the fusion encoder on the text side, so it gets the text
    token-type embedding (a constant shift of a learned vector), and with
    ``answer_position='cls'`` its output is what is read.

    The single ``[MASK]`` of each text is checked in the data preprocessor
    (its ``blank_token_id`` is set to ``mask_token_id`` here), on the host,
    naming the sample.

    Args:
        answer_position (str): ``'cls'`` (fused [CLS], or the fusion token's
            output) or ``'mask'`` (the fused hidden state at the ``[MASK]``
            token). Defaults to ``'cls'``.
        mask_token_id (int): Token id of ``[MASK]`` (the tokenizer's
            ``mask_token_id``). Defaults to 103 (bert-base-uncased).
        fusion_token (bool): Append the learnable token after the video
            tokens. Defaults to False.
        **kwargs: :class:`CloverFusionModel`'s arguments; ``qa_head`` is an
            :class:`~clover.models.heads.OpenEndedQAHead` config.
    """

    def __init__(self,
                 *args,
                 answer_position: str = 'cls',
                 mask_token_id: int = BERT_MASK_TOKEN_ID,
                 fusion_token: bool = False,
                 **kwargs) -> None:
        if answer_position not in ('cls', 'mask'):
            raise ValueError("CloverVideoQA: answer_position must be 'cls' "
                             f"or 'mask', got {answer_position!r}.")
        super().__init__(*args, **kwargs)
        self.answer_position = answer_position
        self.mask_token_id = mask_token_id
        if answer_position == 'mask':
            self._require_single_blanks(mask_token_id)
        self.fusion_token = None
        if fusion_token:
            self.fusion_token = nn.Parameter(
                torch.zeros(1, 1, self.fusion.out_channels))
            nn.init.trunc_normal_(self.fusion_token, std=0.02)

    def _require_single_blanks(self, mask_token_id: int) -> None:
        preprocessor = self.data_preprocessor
        if not hasattr(preprocessor, 'blank_token_id'):
            raise TypeError(
                "CloverVideoQA(answer_position='mask') needs a data "
                'preprocessor that checks the [MASK] of each text (a '
                f'VideoTextDataPreprocessor), got {type(preprocessor)}.')
        if preprocessor.blank_token_id not in (None, mask_token_id):
            raise ValueError(
                f'CloverVideoQA: mask_token_id={mask_token_id} but the data '
                f'preprocessor checks blank_token_id='
                f'{preprocessor.blank_token_id}; make them equal.')
        preprocessor.blank_token_id = mask_token_id

    def answer_positions(self, text_ids: torch.Tensor,
                         text_mask: torch.Tensor) -> torch.Tensor:
        """Token position the answer is read from, per text, in the fused
        text outputs (after the fusion token when there is one).

        Args:
            text_ids (Tensor): ``(B, L)`` token ids, one ``[MASK]`` each for
                ``'mask'`` (checked by the data preprocessor).
            text_mask (Tensor): ``(B, L)`` 1 for real tokens.

        Returns:
            Tensor: ``(B,)`` int64 positions (0 for ``'cls'``).
        """
        if self.answer_position == 'cls':
            return text_ids.new_zeros(text_ids.shape[0], dtype=torch.long)
        is_mask = (text_ids == self.mask_token_id) & text_mask.bool()
        return is_mask.long().argmax(dim=1) + int(
            self.fusion_token is not None)

    def answer_features(
        self, inputs: Dict[str, torch.Tensor]
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Fused features ``(B, D)`` at the answer positions, feature maps
        and text hidden states."""
        self.check_one_text_per_clip(inputs, 'give one question per clip')
        positions = self.answer_positions(inputs['text_ids'],
                                          inputs['text_mask'])
        feat, hidden = self.extract_feat(inputs)
        fusion_text, fusion_mask = hidden, inputs['text_mask']
        if self.fusion_token is not None:
            fusion_text = torch.cat(
                [self.fusion_token.expand(len(hidden), -1, -1), hidden], 1)
            fusion_mask = torch.cat(
                [fusion_mask.new_ones(len(hidden), 1), fusion_mask], 1)
        fused = self.fuse(feat, fusion_text, fusion_mask,
                          inputs['text_to_video'])
        rows = torch.arange(len(positions), device=positions.device)
        return fused.text[rows, positions], feat, hidden


@MODELS.register_module()
class CloverMultipleChoice(CloverFusionModel):
    """Multiple-choice video QA by fusing each candidate separately.

    ::

        F = video_encoder(V)                        # (B, C', T', H', W'), once
        H = text_encoder(candidate texts)           # (N = B * K, L, D)
        s = qa_head(fusion(F[text_to_video], H).fused_cls)   # (N,) -> (B, K)
        loss_mc = CE(s, gt_label)

    Each candidate text (e.g. TGIF's ``"{q} Options: {...} Answer: {a_i}"``
    or an LSMDC-MC caption) is fused alone with its clip's features; each
    sample's ``text`` holds its candidates.

    Its arguments are :class:`CloverFusionModel`'s; ``qa_head`` is a
    :class:`~clover.models.heads.MultipleChoiceHead` config.
    """

    def answer_features(
        self, inputs: Dict[str, torch.Tensor]
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Fused [CLS] ``(N, D)`` of every candidate, feature maps and text
        hidden states."""
        feat, hidden = self.extract_feat(inputs)
        fused = self.fuse(feat, hidden, inputs['text_mask'],
                          inputs['text_to_video'])
        return fused.fused_cls, feat, hidden
