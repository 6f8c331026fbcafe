"""Clover's pre-training model: tri-modal alignment with masked samples and
masked language modelling over the fusion encoder."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F

from clover.registry import MODELS
from clover.structures import VideoTextDataSample
from ..necks.fusion_transformer import FusionOutput
from .clover_retrieval import CloverRetrieval

# Inputs that only pre-training needs, and the transform that makes each.
PRETRAIN_INPUTS = (('masked_text_ids', 'SemanticTextMasking'),
                   ('mlm_labels', 'SemanticTextMasking'),
                   ('video_mask', 'BlockMaskGenerator'))


@MODELS.register_module()
class CloverPretrain(CloverRetrieval):
    """Clover pre-training (``clover_method.md`` §2, official HEAD pairing).

    For a batch of B clips ``V`` with one caption ``T`` each, their
    block-masked clips ``V_m`` (mask token inside the video encoder) and
    semantically masked captions ``T_m``::

        Fv = video_encoder(V)                              # (B, C, T', H', W')
        Fvm = video_encoder(V, mask)                       # (B, C, T', H', W')
        Ht, Htm = text_encoder(T), text_encoder(T_m)       # (B, L, D)
        v, vm = g_v(pool(Fv)), g_v(pool(Fvm))              # (B, E)
        t, tm = g_t(pool(Ht)), g_t(pool(Htm))              # (B, E)
        M_Vm = fusion(Fvm, Ht);  fv = h_V(M_Vm.fused_cls)  # (B, E)
        M_Tm = fusion(Fv, Htm);  ft = h_T(M_Tm.fused_cls)  # (B, E)
        loss_mlm = mlm_loss(mlm_head(M_Tm.text), labels)
        loss_nce, loss_rank = video_anchor_loss(v, t, tm, fv)
        loss_v_nce, loss_v_rank = text_anchor_loss(t, v, vm, ft)

    ``g_v`` / ``g_t`` and the pooling are the retrieval model's
    (``video_head`` / ``text_head``), and every embedding is L2-normalised
    before the losses. The MLM head decodes only the labelled positions.
    ``predict`` and ``tensor`` modes are the inherited dual-encoder ones, so
    a pre-training run is evaluated by zero-shot retrieval unchanged.

    Args:
        video_encoder (dict): Video backbone config; it must be built with
            ``use_mask_token=True`` and take ``forward(x, mask)`` with a
            ``(B, h, w)`` tube mask.
        text_encoder (dict): Text encoder config (see
            :class:`CloverRetrieval`).
        video_head (dict): ``g_v``, projection of the pooled video feature.
        text_head (dict): ``g_t``, projection of the pooled text feature.
        fusion (dict): Fusion encoder config
            (:class:`~clover.models.necks.FusionTransformer`).
        fused_video_head (dict): ``h_V``, projection of the fused [CLS] of
            (masked video, complete text); Clover's is a
            ``ProjectionHead(norm=True)``.
        fused_text_head (dict): ``h_T``, projection of the fused [CLS] of
            (complete video, masked text); Clover's is a
            ``ProjectionHead(norm=False, dropout=0.1)``.
        mlm_head (dict): MLM head config (:class:`~clover.models.heads.
            MLMHead`), applied to the text outputs of ``M_Tm``.
        video_anchor_loss (dict): Tri-modal alignment loss anchored on the
            complete videos, giving ``loss_nce`` and ``loss_rank``.
        text_anchor_loss (dict, optional): The text-anchored direction,
            giving ``loss_v_nce`` and ``loss_v_rank``; None disables it (the
            official ``symmetry_rank=False`` ablation).
        mlm_loss (dict): MLM loss over the labelled positions; it needs an
            ``ignore_index`` attribute (the label of unmasked positions).
        batch_masked_passes (bool): Run the complete and the masked inputs
            through each encoder (video, text and fusion) as one batch of
            2B; False runs them separately (less peak memory, same result).
            Defaults to True.
        data_preprocessor (dict, optional): Defaults to
            ``VideoTextDataPreprocessor``.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 video_encoder: dict,
                 text_encoder: dict,
                 video_head: dict,
                 text_head: dict,
                 fusion: dict,
                 fused_video_head: dict,
                 fused_text_head: dict,
                 mlm_head: dict,
                 video_anchor_loss: dict = dict(
                     type='TriModalAlignmentLoss', prefix=''),
                 text_anchor_loss: Optional[dict] = dict(
                     type='TriModalAlignmentLoss', prefix='v_'),
                 mlm_loss: dict = dict(type='FocalMLMLoss', gamma=2.0),
                 batch_masked_passes: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        # The parent's loss module is the video-anchored alignment loss.
        super().__init__(
            video_encoder=video_encoder,
            text_encoder=text_encoder,
            video_head=video_head,
            text_head=text_head,
            loss=video_anchor_loss,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if not getattr(self.video_encoder, 'use_mask_token', False):
            raise ValueError(
                'CloverPretrain: video_encoder must be built with '
                'use_mask_token=True (the masked video sample needs it).')
        self.fusion = MODELS.build(fusion)
        self.fused_video_head = MODELS.build(fused_video_head)
        self.fused_text_head = MODELS.build(fused_text_head)
        self.mlm_head = MODELS.build(mlm_head)
        self.text_anchor_loss = None if text_anchor_loss is None else \
            MODELS.build(text_anchor_loss)
        self.mlm_loss = MODELS.build(mlm_loss)
        self.batch_masked_passes = batch_masked_passes

    @property
    def video_anchor_loss(self):
        """The video-anchored alignment loss (the parent's ``loss_module``)."""
        return self.loss_module

    def _check_pretrain_inputs(self, inputs: Dict[str, torch.Tensor]) -> None:
        num_clips = inputs['imgs'].shape[0]
        if inputs['text_to_video'].tolist() != list(range(num_clips)):
            raise ValueError(
                'CloverPretrain needs exactly one text per clip; use '
                "SampleCaptions(num_captions=1) in the training pipeline")
        for key, transform in PRETRAIN_INPUTS:
            if key not in inputs:
                raise KeyError(
                    f'CloverPretrain: inputs lack {key!r}; add {transform} '
                    'to the training pipeline before PackVideoTextInputs.')
        text_shape = inputs['text_ids'].shape
        for key in ('masked_text_ids', 'mlm_labels'):
            if inputs[key].shape != text_shape:
                raise ValueError(
                    f'CloverPretrain: {key} must have the shape of text_ids '
                    f'{tuple(text_shape)}, got {tuple(inputs[key].shape)}.')
        video_mask = inputs['video_mask']
        if video_mask.dim() != 3 or video_mask.shape[0] != num_clips:
            raise ValueError(
                f'CloverPretrain: video_mask must be ({num_clips}, h, w), '
                f'got {tuple(video_mask.shape)}.')

    def _encode_videos(self, imgs: torch.Tensor, video_mask: torch.Tensor
                       ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Feature maps of the complete and the masked clips."""
        if self.batch_masked_passes:
            # An all-False mask leaves the complete clips' embedding as is.
            both = self.video_encoder(
                torch.cat([imgs, imgs]),
                torch.cat([torch.zeros_like(video_mask), video_mask]))
            return both.chunk(2)
        return self.video_encoder(imgs), self.video_encoder(imgs, video_mask)

    def _encode_texts(self, text_ids: torch.Tensor,
                      masked_text_ids: torch.Tensor, text_mask: torch.Tensor
                      ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Hidden states of the complete and the masked texts."""
        if self.batch_masked_passes:
            both = self.text_encoder(
                torch.cat([text_ids, masked_text_ids]),
                text_mask.repeat(2, 1))
            return both.chunk(2)
        return (self.text_encoder(text_ids, text_mask),
                self.text_encoder(masked_text_ids, text_mask))

    def _fuse(self, feat: torch.Tensor, masked_feat: torch.Tensor,
              hidden: torch.Tensor, masked_hidden: torch.Tensor,
              text_mask: torch.Tensor) -> Tuple[FusionOutput, FusionOutput]:
        """Fusion outputs ``M_Tm = fusion(Fv, Htm)`` and
        ``M_Vm = fusion(Fvm, Ht)``."""
        if self.batch_masked_passes:
            both = self.fusion(
                torch.cat([feat, masked_feat]),
                torch.cat([masked_hidden, hidden]), text_mask.repeat(2, 1))
            halves = zip(both.text.chunk(2), both.video.chunk(2),
                         both.fused_cls.chunk(2))
            return tuple(FusionOutput(*half) for half in halves)
        return (self.fusion(feat, masked_hidden, text_mask),
                self.fusion(masked_feat, hidden, text_mask))

    def _mlm_losses(self, fused_text_tokens: torch.Tensor,
                    mlm_labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """MLM loss on the labelled positions of ``M_Tm``'s text outputs,
        and the share of them predicted right (``mlm_acc``, 0 when the batch
        has none)."""
        labelled = mlm_labels != self.mlm_loss.ignore_index
        # (M, V) logits of the M labelled positions, as one (1, M) sequence.
        logits = self.mlm_head(fused_text_tokens, labelled)
        targets = mlm_labels[labelled]
        loss = self.mlm_loss(logits[None], targets[None])
        with torch.no_grad():
            correct = (logits.argmax(-1) == targets).sum()
            accuracy = correct.float() / max(targets.numel(), 1)
        return dict(loss_mlm=loss, mlm_acc=accuracy)

    def loss(self, inputs: Dict[str, torch.Tensor],
             data_samples: Optional[List[VideoTextDataSample]] = None
             ) -> Dict[str, torch.Tensor]:
        """Pre-training losses of one batch.

        Args:
            inputs (dict): From :class:`VideoTextDataPreprocessor`: ``imgs``
                ``(B, C, T, H, W)``, ``video_mask`` bool ``(B, h, w)``,
                ``text_ids``, ``text_mask``, ``masked_text_ids`` and
                ``mlm_labels`` ``(B, L)`` (-100 where nothing is predicted),
                ``text_to_video`` ``(B,)``.
            data_samples (list[VideoTextDataSample], optional): Unused.

        Returns:
            dict: Scalars ``loss_mlm``, ``loss_nce``, ``loss_rank`` and, with
            the text anchor, ``loss_v_nce``, ``loss_v_rank`` (as the loss
            modules name them), plus the diagnostic ``mlm_acc``.
        """
        self._check_pretrain_inputs(inputs)
        text_mask = inputs['text_mask']
        feat, masked_feat = self._encode_videos(inputs['imgs'],
                                                inputs['video_mask'])
        hidden, masked_hidden = self._encode_texts(
            inputs['text_ids'], inputs['masked_text_ids'], text_mask)
        fused_masked_text, fused_masked_video = self._fuse(
            feat, masked_feat, hidden, masked_hidden, text_mask)

        video, masked_video = self.project_video(feat), \
            self.project_video(masked_feat)
        text, masked_text = self.project_text(hidden, text_mask), \
            self.project_text(masked_hidden, text_mask)
        fused_video = F.normalize(
            self.fused_video_head(fused_masked_video.fused_cls), dim=-1)
        fused_text = F.normalize(
            self.fused_text_head(fused_masked_text.fused_cls), dim=-1)

        losses = self._mlm_losses(fused_masked_text.text, inputs['mlm_labels'])
        terms = [self.video_anchor_loss(video, text, masked_text, fused_video)]
        if self.text_anchor_loss is not None:
            terms.append(
                self.text_anchor_loss(text, video, masked_video, fused_text))
        for term in terms:
            clash = losses.keys() & term.keys()
            if clash:
                raise ValueError(
                    f'CloverPretrain: two losses both return {sorted(clash)}; '
                    'give the alignment losses different prefixes.')
            losses.update(term)
        return losses
