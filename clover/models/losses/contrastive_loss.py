"""Symmetric InfoNCE between paired video and text embeddings."""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from clover.registry import MODELS
from ..utils.precision import fp32_forward
from .utils import check_grad_mode, gather_rows, scaled_similarity


@MODELS.register_module()
class InfoNCELoss(nn.Module):
    """Symmetric InfoNCE over cosine similarities divided by a fixed
    temperature, with the negatives gathered from every rank.

    This is Clover's fine-tuning loss (``NormSoftmaxLoss`` in the official
    code): for a global batch of N pairs and ``s = cos(v, t) / temperature``,
    ``loss = CE_rows(s) + CE_cols(s)`` (a sum of the two directions, each a
    mean over the pairs).

    Two gradient semantics are offered:

    - ``'exact'`` (default): each rank computes the rows of its own pairs
      against all gathered candidates and gathers with a gradient all-reduce,
      so after DDP's averaging the update is the exact gradient of the global
      loss, independent of the number of ranks.
    - ``'official'``: each rank computes the full ``N x N`` loss and receives
      only its own slice of the gradient, as the official code does. After
      DDP's averaging this is the exact gradient divided by the world size.

    Args:
        temperature (float): Fixed softmax temperature. Defaults to 0.05.
        grad_mode (str): ``'exact'`` or ``'official'``. Defaults to 'exact'.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 temperature: float = 0.05,
                 grad_mode: str = 'exact',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        check_grad_mode('InfoNCELoss', grad_mode)
        self.temperature = temperature
        self.grad_mode = grad_mode
        self.loss_weight = loss_weight

    @fp32_forward
    def forward(self, video_emb: torch.Tensor,
                text_emb: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Compute the loss of this rank's pairs.

        Args:
            video_emb (Tensor): ``(B, D)`` L2-normalised video embeddings.
            text_emb (Tensor): ``(B, D)`` L2-normalised text embeddings; row
                ``i`` is the positive of ``video_emb[i]``.

        Returns:
            dict: ``loss_nce``, the scalar loss, and ``nce_global_batch``,
            the number of pairs gathered from all ranks (the loss's
            candidates; logged so that a run shows its negatives).
        """
        if video_emb.shape != text_emb.shape:
            raise ValueError('InfoNCELoss needs one text per video: got video '
                             f'{tuple(video_emb.shape)} and text '
                             f'{tuple(text_emb.shape)} embeddings')
        (rows_v, rows_t), (all_video, all_text), targets = gather_rows(
            (video_emb, text_emb), self.grad_mode)
        v2t = scaled_similarity(rows_v, all_text, self.temperature)
        t2v = scaled_similarity(rows_t, all_video, self.temperature)
        loss = F.cross_entropy(v2t, targets) + F.cross_entropy(t2v, targets)
        global_batch = torch.tensor(
            float(all_video.shape[0]), device=loss.device)
        return dict(
            loss_nce=self.loss_weight * loss, nce_global_batch=global_batch)
