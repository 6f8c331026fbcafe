"""Clover's pre-training head: fused projections, the MLM head and the
pre-training losses."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from clover.registry import MODELS
from ..necks.fusion_transformer import FusionOutput


@MODELS.register_module()
class PretrainHead(BaseModule):
    """Tri-modal alignment, ranking and masked language modelling
    (``docs/method.md`` §2).

    Given the retrieval head's L2-normalised embeddings of the complete and
    masked clips (``v``, ``vm``) and captions (``t``, ``tm``), and the fusion
    outputs ``M_Vm = fusion(Fvm, Ht)`` and ``M_Tm = fusion(Fv, Htm)``::

        fv = normalize(h_V(M_Vm.fused_cls))               # (B, E)
        ft = normalize(h_T(M_Tm.fused_cls))               # (B, E)
        loss_mlm = mlm_loss(mlm_head(M_Tm.text), labels)
        loss_nce, loss_rank = video_anchor_loss(v, t, tm, fv)
        loss_v_nce, loss_v_rank = text_anchor_loss(t, v, vm, ft)

    The MLM head decodes every text position and the MLM loss and accuracy
    count the labelled ones (no data-dependent indexing in the step).

    Args:
        fused_video_proj (dict): ``h_V``, projection of the fused [CLS] of
            (masked video, complete text); Clover's is a
            ``ProjectionHead(norm=True)``.
        fused_text_proj (dict): ``h_T``, projection of the fused [CLS] of
            (complete video, masked text); Clover's is a
            ``ProjectionHead(norm=False, dropout=0.1)``.
        mlm_head (dict): :class:`~clover.models.heads.MLMHead` config.
        video_anchor_loss (dict): Tri-modal alignment loss anchored on the
            complete videos, giving ``loss_nce`` and ``loss_rank``.
        text_anchor_loss (dict, optional): The text-anchored direction,
            giving ``loss_v_nce`` and ``loss_v_rank``; None disables it (the
            official ``symmetry_rank=False`` ablation).
        mlm_loss (dict): MLM loss over the labelled positions; it needs an
            ``ignore_index`` attribute (the label of unmasked positions).
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 fused_video_proj: dict,
                 fused_text_proj: dict,
                 mlm_head: dict,
                 video_anchor_loss: dict = dict(
                     type='TriModalAlignmentLoss', prefix=''),
                 text_anchor_loss: Optional[dict] = dict(
                     type='TriModalAlignmentLoss', prefix='v_'),
                 mlm_loss: dict = dict(type='FocalMLMLoss', gamma=2.0),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.fused_video_proj = MODELS.build(fused_video_proj)
        self.fused_text_proj = MODELS.build(fused_text_proj)
        self.mlm_head = MODELS.build(mlm_head)
        self.video_anchor_loss = MODELS.build(video_anchor_loss)
        self.text_anchor_loss = None if text_anchor_loss is None else \
            MODELS.build(text_anchor_loss)
        self.mlm_loss = MODELS.build(mlm_loss)
        if (self.text_anchor_loss is not None and
                self.text_anchor_loss.prefix == self.video_anchor_loss.prefix):
            raise ValueError(
                'PretrainHead: both alignment losses have the prefix '
                f'{self.video_anchor_loss.prefix!r} and would return the same '
                'keys; give the alignment losses different prefixes.')

    def mlm_losses(self, fused_text_tokens: torch.Tensor,
                   mlm_labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """MLM loss on the labelled positions of ``M_Tm``'s text outputs,
        and the share of them predicted right (``mlm_acc``, 0 when the batch
        has none).

        Args:
            fused_text_tokens (Tensor): ``(B, L, D)`` fused text outputs.
            mlm_labels (Tensor): ``(B, L)`` targets, ``ignore_index`` where
                nothing is predicted.
        """
        labelled = mlm_labels != self.mlm_loss.ignore_index
        # (B, L, V) logits of every position: selecting the labelled ones
        # would be a data-dependent index, a device-to-host copy per step.
        # The loss and the accuracy count the labelled positions only.
        logits = self.mlm_head(fused_text_tokens)
        loss = self.mlm_loss(logits, mlm_labels)
        with torch.no_grad():
            correct = ((logits.argmax(-1) == mlm_labels) & labelled).sum()
            # clamp, not max(numel, 1): no host round trip for the count.
            accuracy = correct.float() / labelled.sum().clamp(min=1)
        return dict(loss_mlm=loss, mlm_acc=accuracy)

    def loss(self, embeddings: Dict[str, torch.Tensor],
             fused_masked_video: FusionOutput,
             fused_masked_text: FusionOutput,
             mlm_labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The pre-training losses of one batch.

        Args:
            embeddings (dict): ``(B, E)`` L2-normalised ``video``,
                ``masked_video``, ``text`` and ``masked_text`` embeddings.
            fused_masked_video (FusionOutput): ``M_Vm``.
            fused_masked_text (FusionOutput): ``M_Tm``.
            mlm_labels (Tensor): ``(B, L)`` MLM targets.

        Returns:
            dict: Scalars ``loss_mlm``, ``loss_nce``, ``loss_rank`` and, with
            the text anchor, ``loss_v_nce``, ``loss_v_rank`` (as the loss
            modules name them), plus the diagnostic ``mlm_acc``.
        """
        fused_video = F.normalize(
            self.fused_video_proj(fused_masked_video.fused_cls), dim=-1)
        fused_text = F.normalize(
            self.fused_text_proj(fused_masked_text.fused_cls), dim=-1)
        losses = self.mlm_losses(fused_masked_text.text, mlm_labels)
        losses.update(
            self.video_anchor_loss(embeddings['video'], embeddings['text'],
                                   embeddings['masked_text'], fused_video))
        if self.text_anchor_loss is not None:
            losses.update(
                self.text_anchor_loss(embeddings['text'], embeddings['video'],
                                      embeddings['masked_video'],
                                      fused_text))
        return losses
