"""The dual-encoder retrieval head: projections into the joint space and
the contrastive loss."""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from clover.registry import MODELS
from clover.structures import VideoTextDataSample


@MODELS.register_module()
class RetrievalHead(BaseModule):
    """``g_v`` / ``g_t`` onto the joint space, and InfoNCE over them.

    ::

        v = normalize(g_v(mean_{T', H', W'} F))     # (B, E)
        t = normalize(g_t(pooled text))             # (N, E)
        loss = InfoNCE(v, t)                        # one text per clip

    Every Clover model has one (module name ``retrieval_head``), so a
    pre-training checkpoint carries the projections to every fine-tuning
    model. The retrieval model trains it with its loss; pre-training
    trains it through :class:`~clover.models.heads.PretrainHead`'s losses
    (``loss=None`` here); the QA models may keep it frozen to report
    retrieval-style multiple-choice accuracy.

    Args:
        video_proj (dict): ``g_v`` config, e.g. a
            :class:`~clover.models.heads.ProjectionHead`.
        text_proj (dict): ``g_t`` config.
        loss (dict, optional): Contrastive loss config taking ``(v, t)``;
            None when another head owns the losses. Defaults to
            ``InfoNCELoss(temperature=0.05)``.
        frozen (bool): No gradients for the projections (the QA models'
            optional dual-encoder embeddings). Defaults to False.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 video_proj: dict,
                 text_proj: dict,
                 loss: Optional[dict] = dict(
                     type='InfoNCELoss', temperature=0.05),
                 frozen: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.video_proj = MODELS.build(video_proj)
        self.text_proj = MODELS.build(text_proj)
        self.loss_module = None if loss is None else MODELS.build(loss)
        if frozen:
            self.requires_grad_(False)

    def embed_video(self, feat: torch.Tensor) -> torch.Tensor:
        """``g_v`` of the globally average-pooled feature maps.

        Args:
            feat (Tensor): ``(B, C, T', H', W')`` video feature maps.

        Returns:
            Tensor: ``(B, E)`` L2-normalised embeddings.
        """
        return F.normalize(
            self.video_proj(feat.flatten(2).mean(dim=2)), dim=-1)

    def embed_text(self, pooled: torch.Tensor) -> torch.Tensor:
        """``g_t`` of pooled text features.

        Args:
            pooled (Tensor): ``(N, D)`` pooled text hidden states.

        Returns:
            Tensor: ``(N, E)`` L2-normalised embeddings.
        """
        return F.normalize(self.text_proj(pooled), dim=-1)

    def loss(self, video: torch.Tensor,
             text: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The contrastive loss of paired embeddings.

        Args:
            video (Tensor): ``(B, E)`` embeddings of :meth:`embed_video`.
            text (Tensor): ``(B, E)`` embeddings of :meth:`embed_text`;
                row ``i`` pairs with ``video[i]``.

        Returns:
            dict: The loss module's outputs (``loss_nce``, ...).
        """
        if self.loss_module is None:
            raise RuntimeError('RetrievalHead was built with loss=None; the '
                               "model's other head owns the losses.")
        return self.loss_module(video, text)

    @staticmethod
    def predict(video: torch.Tensor, text: Optional[torch.Tensor],
                text_to_video: Optional[torch.Tensor],
                data_samples: List[VideoTextDataSample]
                ) -> List[VideoTextDataSample]:
        """Set ``video_embedding`` ``(E,)`` and, with texts,
        ``text_embeddings`` ``(K, E)`` on each sample.

        Args:
            video (Tensor): ``(B, E)`` video embeddings.
            text (Tensor, optional): ``(N, E)`` text embeddings.
            text_to_video (Tensor, optional): ``(N,)`` clip of each text.
            data_samples (list[VideoTextDataSample]): One per clip.

        Returns:
            list[VideoTextDataSample]: ``data_samples``, filled in.
        """
        for index, sample in enumerate(data_samples):
            sample.video_embedding = video[index]
            if text is not None:
                sample.text_embeddings = text[text_to_video == index]
        return data_samples
