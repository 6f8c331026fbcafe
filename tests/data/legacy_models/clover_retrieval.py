"""Clover's dual-encoder model for text-video retrieval fine-tuning."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from clover.registry import MODELS
from clover.structures import VideoTextDataSample


@MODELS.register_module()
class CloverRetrieval(BaseModel):
    """Dual encoder: video -> Video Swin -> pooled -> projection; text ->
    BERT -> [CLS] (or mean) -> projection; cosine similarity for scoring.

    This is the retrieval model of ``clover_method.md`` §4: trained with a
    symmetric InfoNCE whose negatives are gathered across ranks, evaluated
    by ranking every text against every video of the split.

    Args:
        video_encoder (dict): Config of the video backbone; its output is a
            feature map ``(B, C, T', H', W')``.
        text_encoder (dict): Config of the text encoder; it returns
            ``(N, L, D)`` hidden states and pools them with ``pool``.
        video_head (dict): Projection of the pooled video feature.
        text_head (dict): Projection of the pooled text feature.
        loss (dict): Contrastive loss config. Defaults to
            ``InfoNCELoss(temperature=0.05)``.
        data_preprocessor (dict, optional): Defaults to
            ``VideoTextDataPreprocessor``.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 video_encoder: dict,
                 text_encoder: dict,
                 video_head: dict,
                 text_head: dict,
                 loss: dict = dict(type='InfoNCELoss', temperature=0.05),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='VideoTextDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            # Built here so that Clover's registry is used without relying on
            # the default scope being set.
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.video_encoder = MODELS.build(video_encoder)
        self.text_encoder = MODELS.build(text_encoder)
        self.video_head = MODELS.build(video_head)
        self.text_head = MODELS.build(text_head)
        self.loss_module = MODELS.build(loss)

    def extract_video_feat(self, imgs: torch.Tensor) -> torch.Tensor:
        """Embed clips.

        Args:
            imgs (Tensor): ``(B, C, T, H, W)`` normalised clips.

        Returns:
            Tensor: ``(B, D)`` L2-normalised embeddings.
        """
        return self.project_video(self.video_encoder(imgs))

    def extract_text_feat(self, text_ids: torch.Tensor,
                          text_mask: torch.Tensor) -> torch.Tensor:
        """Embed texts.

        Args:
            text_ids (Tensor): ``(N, L)`` token ids.
            text_mask (Tensor): ``(N, L)`` attention mask (1 = token).

        Returns:
            Tensor: ``(N, D)`` L2-normalised embeddings.
        """
        return self.project_text(
            self.text_encoder(text_ids, text_mask), text_mask)

    def project_video(self, feat: torch.Tensor) -> torch.Tensor:
        """``g_v`` of a globally average-pooled video feature map.

        Args:
            feat (Tensor): ``(B, C, T', H', W')`` backbone output.

        Returns:
            Tensor: ``(B, D)`` L2-normalised embeddings.
        """
        return F.normalize(
            self.video_head(feat.flatten(2).mean(dim=2)), dim=-1)

    def project_text(self, hidden: torch.Tensor,
                     text_mask: torch.Tensor) -> torch.Tensor:
        """``g_t`` of pooled text hidden states.

        Args:
            hidden (Tensor): ``(N, L, D)`` text encoder outputs.
            text_mask (Tensor): ``(N, L)`` attention mask (1 = token).

        Returns:
            Tensor: ``(N, D)`` L2-normalised embeddings.
        """
        pooled = self.text_encoder.pool(hidden, text_mask)
        return F.normalize(self.text_head(pooled), dim=-1)

    def forward(self,
                inputs: Dict[str, torch.Tensor],
                data_samples: Optional[List[VideoTextDataSample]] = None,
                mode: str = 'tensor'
                ) -> Union[Dict[str, torch.Tensor], List[VideoTextDataSample]]:
        """The MMEngine entry point.

        Args:
            inputs (dict): From the data preprocessor: ``imgs``
                ``(B, C, T, H, W)`` and, where texts are given, ``text_ids``,
                ``text_mask`` ``(N, L)`` and ``text_to_video`` ``(N,)``.
            data_samples (list[VideoTextDataSample], optional): One per clip.
            mode (str): ``'loss'`` returns a dict of losses, ``'predict'``
                the data samples with their embeddings filled in,
                ``'tensor'`` a dict of the embeddings.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._embed(inputs)
        raise ValueError(f"Invalid mode {mode!r}: expected 'loss', "
                         "'predict' or 'tensor'")

    def _embed(self, inputs: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        out = {}
        if 'imgs' in inputs:
            out['video'] = self.extract_video_feat(inputs['imgs'])
        if 'text_ids' in inputs:
            out['text'] = self.extract_text_feat(inputs['text_ids'],
                                                 inputs['text_mask'])
        return out

    def loss(self, inputs: Dict[str, torch.Tensor],
             data_samples: Optional[List[VideoTextDataSample]] = None
             ) -> Dict[str, torch.Tensor]:
        """Symmetric InfoNCE of the batch; needs exactly one text per clip."""
        num_clips = inputs['imgs'].shape[0]
        if inputs['text_to_video'].tolist() != list(range(num_clips)):
            raise ValueError(
                'Contrastive training needs exactly one text per clip; use '
                "SampleCaptions(num_captions=1) in the training pipeline")
        emb = self._embed(inputs)
        return self.loss_module(emb['video'], emb['text'])

    def predict(self, inputs: Dict[str, torch.Tensor],
                data_samples: List[VideoTextDataSample]
                ) -> List[VideoTextDataSample]:
        """Fill ``video_embedding`` ``(D,)`` and ``text_embeddings``
        ``(K, D)`` of each sample for the retrieval metric."""
        emb = self._embed(inputs)
        for i, sample in enumerate(data_samples):
            sample.video_embedding = emb['video'][i]
            if 'text' in emb:
                sample.text_embeddings = emb['text'][
                    inputs['text_to_video'] == i]
        return data_samples
