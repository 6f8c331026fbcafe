"""Softmax focal loss for masked language modelling."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from clover.registry import MODELS
from ..utils.precision import fp32_forward


@MODELS.register_module()
class FocalMLMLoss(nn.Module):
    """Softmax focal loss over the masked text positions.

    Clover's MLM loss (``SoftmaxFocalLossMultiClass`` in the official code):
    for each position with a label, ``(1 - p_t) ** gamma * CE`` where ``p_t``
    is the softmax probability of the label and ``CE = -log p_t``; the loss
    is the mean over those positions. ``gamma=0`` gives plain cross-entropy
    (the official ``loss_type`` ablation).

    Unlike the official code, a batch without any masked position (a
    caption with no noun or verb) gives a zero loss that is still connected
    to the graph, not the NaN mean of an empty tensor.

    Args:
        gamma (float): Focusing exponent. Defaults to 2.0.
        ignore_index (int): Label of the positions that are not predicted.
            Defaults to -100.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 gamma: float = 2.0,
                 ignore_index: int = -100,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if gamma < 0:
            raise ValueError(
                f'FocalMLMLoss: gamma must be >= 0, got {gamma!r}')
        self.gamma = gamma
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight

    @fp32_forward
    def forward(self, logits: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): ``(N, L, V)`` vocabulary logits.
            labels (Tensor): ``(N, L)`` int target ids, ``ignore_index``
                where nothing is predicted.

        Returns:
            Tensor: The scalar loss.
        """
        if logits.dim() != 3 or labels.shape != logits.shape[:2]:
            raise ValueError(
                'FocalMLMLoss: expected logits (N, L, V) and labels (N, L), '
                f'got logits {tuple(logits.shape)} and labels '
                f'{tuple(labels.shape)}')
        predicted = labels != self.ignore_index
        if not predicted.any():
            # Keep the graph so that every rank runs the same backward.
            return logits.sum() * 0.
        log_p_t = F.log_softmax(logits[predicted], dim=-1).gather(
            1, labels[predicted].unsqueeze(1)).squeeze(1)
        focal = (1 - log_p_t.exp())**self.gamma * -log_p_t
        return self.loss_weight * focal.mean()
