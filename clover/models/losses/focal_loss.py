"""Softmax focal loss for masked language modelling."""
import torch
import torch.nn as nn

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
        # Masked maths over every position instead of selecting the
        # labelled ones: a data-dependent selection (or a check that any
        # exists) would copy from the device in every training step. The
        # unlabelled rows are zeroed first so that nothing there (not even
        # an overflowed logit) reaches the loss or its gradient.
        logits = torch.where(predicted.unsqueeze(-1), logits, 0.)
        targets = torch.where(predicted, labels, 0).unsqueeze(-1)
        log_p_t = (logits.gather(-1, targets).squeeze(-1) -
                   logits.logsumexp(dim=-1))
        focal = (1 - log_p_t.exp())**self.gamma * -log_p_t
        # No labelled position gives a zero loss still connected to the
        # graph, so every rank runs the same backward.
        focal = torch.where(predicted, focal, 0.)
        return self.loss_weight * focal.sum() / predicted.sum().clamp(min=1)
