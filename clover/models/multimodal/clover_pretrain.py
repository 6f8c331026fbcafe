"""Clover's pre-training model: tri-modal alignment with masked samples and
masked language modelling over the fusion encoder."""
from typing import Dict, List, Optional, Tuple

import torch

from clover.registry import MODELS
from clover.structures import VideoTextDataSample
from ..necks.fusion_transformer import FusionOutput
from .clover_base import CloverBase

# Inputs that only pre-training needs, and the transform that makes each.
PRETRAIN_INPUTS = (('masked_text_ids', 'SemanticTextMasking'),
                   ('mlm_labels', 'SemanticTextMasking'),
                   ('video_mask', 'BlockMaskGenerator'))


@MODELS.register_module()
class CloverPretrain(CloverBase):
    """Clover pre-training (``docs/method.md`` §2, official HEAD pairing).

    For a batch of B clips ``V`` with one caption ``T`` each, their
    block-masked clips ``V_m`` (mask token inside the video encoder) and
    semantically masked captions ``T_m``::

        Fv, Fvm = video_encoder(V), video_encoder(V, mask)  # (B, C, T, H, W)
        Ht, Htm = text_encoder(T), text_encoder(T_m)        # (B, L, D)
        v, vm, t, tm = retrieval_head embeddings            # (B, E)
        M_Vm = fusion(Fvm, Ht);  M_Tm = fusion(Fv, Htm)
        losses = pretrain_head.loss(v, vm, t, tm, M_Vm, M_Tm, mlm_labels)

    ``predict`` and ``tensor`` modes are the dual encoder's, so a
    pre-training run is evaluated by zero-shot retrieval.

    Args:
        video_encoder (dict): Video backbone config; it must be built with
            ``use_mask_token=True`` and take ``forward(x, mask)`` with a
            ``(B, h, w)`` tube mask.
        text_encoder (dict): Text encoder config.
        retrieval_head (dict): :class:`~clover.models.heads.RetrievalHead`
            config (``g_v``, ``g_t``) with ``loss=None``: the pre-training
            head owns the losses.
        fusion (dict): Fusion encoder config.
        pretrain_head (dict): :class:`~clover.models.heads.PretrainHead`
            config (``h_V``, ``h_T``, the MLM head and the losses).
        batch_masked_passes (bool): Run the complete and the masked inputs
            through each encoder (video, text and fusion) as one batch of
            2B; False runs them separately (less peak memory, same result).
            Defaults to True.
        **kwargs: :class:`CloverBase`'s ``data_preprocessor``,
            ``init_cfg`` and ``freeze_text_encoder``.
    """

    legacy_prefixes = dict(
        CloverBase.legacy_prefixes, **{
            'fused_video_head.': 'pretrain_head.fused_video_proj.',
            'fused_text_head.': 'pretrain_head.fused_text_proj.',
            'mlm_head.': 'pretrain_head.mlm_head.',
        })

    def __init__(self,
                 video_encoder: dict,
                 text_encoder: dict,
                 retrieval_head: dict,
                 fusion: dict,
                 pretrain_head: dict,
                 batch_masked_passes: bool = True,
                 **kwargs) -> None:
        super().__init__(video_encoder, text_encoder, retrieval_head, fusion,
                         **kwargs)
        if not getattr(self.video_encoder, 'use_mask_token', False):
            raise ValueError(
                'CloverPretrain: video_encoder must be built with '
                'use_mask_token=True (the masked video sample needs it).')
        if self.retrieval_head.loss_module is not None:
            raise ValueError(
                'CloverPretrain: build retrieval_head with loss=None; the '
                'pretrain_head owns the pre-training losses.')
        self.pretrain_head = MODELS.build(pretrain_head)
        self.batch_masked_passes = batch_masked_passes

    def _check_pretrain_inputs(self, inputs: Dict[str, torch.Tensor]) -> None:
        """Shape checks only: nothing is copied from the device."""
        self.check_one_text_per_clip(
            inputs, 'use SampleCaptions(num_captions=1) in the training '
            'pipeline')
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
        num_clips = inputs['imgs'].shape[0]
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

    def _fuse_masked(self, feat: torch.Tensor, masked_feat: torch.Tensor,
                     hidden: torch.Tensor, masked_hidden: torch.Tensor,
                     text_mask: torch.Tensor
                     ) -> Tuple[FusionOutput, FusionOutput]:
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
            dict: See :meth:`PretrainHead.loss`.
        """
        self._check_pretrain_inputs(inputs)
        text_mask = inputs['text_mask']
        feat, masked_feat = self._encode_videos(inputs['imgs'],
                                                inputs['video_mask'])
        hidden, masked_hidden = self._encode_texts(
            inputs['text_ids'], inputs['masked_text_ids'], text_mask)
        fused_masked_text, fused_masked_video = self._fuse_masked(
            feat, masked_feat, hidden, masked_hidden, text_mask)
        head = self.retrieval_head
        embeddings = dict(
            video=head.embed_video(feat),
            masked_video=head.embed_video(masked_feat),
            text=self.embed_hidden(hidden, text_mask),
            masked_text=self.embed_hidden(masked_hidden, text_mask))
        return self.pretrain_head.loss(embeddings, fused_masked_video,
                                       fused_masked_text, inputs['mlm_labels'])

    def _forward(self, inputs: Dict[str, torch.Tensor]
                 ) -> Dict[str, torch.Tensor]:
        return self.embed(inputs)

    def predict(self, inputs: Dict[str, torch.Tensor],
                data_samples: List[VideoTextDataSample]
                ) -> List[VideoTextDataSample]:
        """Zero-shot retrieval: ``video_embedding`` and ``text_embeddings``
        of each sample."""
        return self.predict_retrieval(inputs, data_samples)
