"""Clover's dual-encoder model for text-video retrieval."""
from typing import Dict, List, Optional

import torch

from clover.registry import MODELS
from clover.structures import VideoTextDataSample
from .clover_base import CloverBase


@MODELS.register_module()
class CloverRetrieval(CloverBase):
    """Dual encoder: video -> Video Swin -> pooled -> ``g_v``; text -> BERT
    -> [CLS] (or mean) -> ``g_t``; cosine similarity for scoring
    (``docs/method.md`` §4).

    Trained with the retrieval head's symmetric InfoNCE, whose negatives are
    gathered across ranks; evaluated by ranking every text against every
    video of the split.

    Args:
        video_encoder (dict): Video backbone config.
        text_encoder (dict): Text encoder config.
        retrieval_head (dict): :class:`~clover.models.heads.RetrievalHead`
            config: the projections and the contrastive loss.
        **kwargs: :class:`CloverBase`'s ``data_preprocessor``,
            ``init_cfg`` and ``freeze_text_encoder``.
    """

    def __init__(self, video_encoder: dict, text_encoder: dict,
                 retrieval_head: dict, **kwargs) -> None:
        super().__init__(video_encoder, text_encoder, retrieval_head,
                         **kwargs)

    def _forward(self, inputs: Dict[str, torch.Tensor]
                 ) -> Dict[str, torch.Tensor]:
        return self.embed(inputs)

    def loss(self, inputs: Dict[str, torch.Tensor],
             data_samples: Optional[List[VideoTextDataSample]] = None
             ) -> Dict[str, torch.Tensor]:
        """The retrieval head's loss of the batch; one text per clip."""
        self.check_one_text_per_clip(
            inputs, 'use SampleCaptions(num_captions=1) in the training '
            'pipeline')
        embeddings = self._forward(inputs)
        return self.retrieval_head.loss(embeddings['video'],
                                        embeddings['text'])

    def predict(self, inputs: Dict[str, torch.Tensor],
                data_samples: List[VideoTextDataSample]
                ) -> List[VideoTextDataSample]:
        """Fill ``video_embedding`` ``(E,)`` and ``text_embeddings``
        ``(K, E)`` of each sample for the retrieval metric."""
        return self.predict_retrieval(inputs, data_samples)
