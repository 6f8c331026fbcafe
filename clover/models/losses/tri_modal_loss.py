"""Clover's tri-modal alignment loss: exclusive InfoNCE plus ranking."""
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from clover.registry import MODELS
from ..utils.dist import all_gather_with_grad
from ..utils.precision import fp32_forward
from .utils import check_grad_mode, gather_rows, scaled_similarity


@MODELS.register_module()
class TriModalAlignmentLoss(nn.Module):
    """Exclusive tri-modal InfoNCE and pair-wise ranking for one anchor set.

    For an anchor set ``a`` (e.g. complete videos) the positives of anchor
    ``i`` are row ``i`` of up to three candidate types: ``c1`` (the complete
    other modality), ``c2`` (its semantically masked sample) and ``c3`` (the
    fused representation). With ``s(x, y) = cos(x, y) / temperature``, N the
    global batch and K the number of positive types in use:

    - anchor -> candidates, a SUM over the types: each positive ``c^k_i``
      competes against all ``K * N`` candidates except the other positives
      of the same index ``c^{k'}_i`` (k' != k), which are removed from the
      denominator::

          L_a2c = -1/N sum_i sum_k log exp(s(a_i, c^k_i)) / (exp(s(a_i, c^k_i))
                  + sum_k' sum_{j != i} exp(s(a_i, c^k'_j)))

    - candidates -> anchor, a MEAN over the types of standard InfoNCE::

          L_c2a = -1/K sum_k 1/N sum_i log exp(s(a_i, c^k_i))
                  / sum_j exp(s(a_j, c^k_i))

    - ``nce = L_a2c + L_c2a``;
    - ranking (margin in logit units, so 5 means 0.25 in cosine at
      temperature 0.05)::

          rank = 1/N sum_i max(0, margin - (s(a_i, c1_i) - s(a_i, c2_i)))

    The model calls the loss twice (official HEAD pairing): the video anchor
    ``(v, t, t_m, fuse(V_m, T))`` with ``prefix=''`` gives ``loss_nce`` and
    ``loss_rank``; the text anchor ``(t, v, v_m, fuse(V, T_m))`` with
    ``prefix='v_'`` gives ``loss_v_nce`` and ``loss_v_rank``.

    The candidates are gathered from every rank with
    :func:`~clover.models.utils.dist.all_gather_with_grad`. Two gradient
    semantics are offered, as in :class:`InfoNCELoss`:

    - ``'exact'`` (default): each rank computes the terms of its own anchor
      (and candidate) rows against all gathered rows and the gather
      all-reduces gradients, so after DDP's averaging the update is the exact
      gradient of the global loss, independent of the number of ranks. Each
      rank's reported loss is the mean over its own rows; weighted by the
      rows, the ranks' losses average to the global loss.
    - ``'official'``: each rank computes the full global loss and keeps only
      its own slice of the gradient, as the official code does. After DDP's
      averaging the contrastive and ranking gradients are the exact ones
      divided by the world size, i.e. down-weighted by ``1 / world_size``
      relative to an un-gathered loss such as MLM.

    Args:
        temperature (float): Fixed softmax temperature. Defaults to 0.05.
        use_masked_positives (bool): Use ``masked`` as a positive type of
            the InfoNCE terms (off: only ``complete`` and ``fused``).
            Defaults to True.
        use_fused_positives (bool): Use ``fused`` as a positive type.
            Defaults to True.
        use_ranking (bool): Add the ranking term, which needs ``masked``.
            Defaults to True.
        margin (float): Ranking margin in logit units. Defaults to 5.0.
        grad_mode (str): ``'exact'`` or ``'official'``. Defaults to 'exact'.
        loss_weight (float): Multiplier of both terms. Defaults to 1.0.
        prefix (str): Inserted into the output keys, ``loss_{prefix}nce``
            and ``loss_{prefix}rank``. Defaults to ''.
    """

    def __init__(self,
                 temperature: float = 0.05,
                 use_masked_positives: bool = True,
                 use_fused_positives: bool = True,
                 use_ranking: bool = True,
                 margin: float = 5.0,
                 grad_mode: str = 'exact',
                 loss_weight: float = 1.0,
                 prefix: str = '') -> None:
        super().__init__()
        check_grad_mode('TriModalAlignmentLoss', grad_mode)
        self.temperature = temperature
        self.use_masked_positives = use_masked_positives
        self.use_fused_positives = use_fused_positives
        self.use_ranking = use_ranking
        self.margin = margin
        self.grad_mode = grad_mode
        self.loss_weight = loss_weight
        self.prefix = prefix

    def _positive_types(self, complete: torch.Tensor,
                        masked: Optional[torch.Tensor],
                        fused: Optional[torch.Tensor]) -> List[torch.Tensor]:
        """The candidate sets used as positives, checked against the
        switches."""
        positives = [complete]
        for name, tensor, used in (('masked', masked,
                                    self.use_masked_positives),
                                   ('fused', fused, self.use_fused_positives)):
            if not used:
                continue
            if tensor is None:
                raise ValueError(
                    f'TriModalAlignmentLoss: use_{name}_positives=True needs '
                    f'the {name!r} embeddings, got None')
            positives.append(tensor)
        return positives

    @fp32_forward
    def forward(
            self,
            anchor: torch.Tensor,
            complete: torch.Tensor,
            masked: Optional[torch.Tensor] = None,
            fused: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Compute the loss of this rank's rows.

        Args:
            anchor (Tensor): ``(B, D)`` L2-normalised anchors ``a``.
            complete (Tensor): ``(B, D)`` L2-normalised complete positives
                ``c1``; row ``i`` pairs with ``anchor[i]``.
            masked (Tensor, optional): ``(B, D)`` L2-normalised masked
                positives ``c2``. Needed if ``use_masked_positives`` or
                ``use_ranking``.
            fused (Tensor, optional): ``(B, D)`` L2-normalised fused
                positives ``c3``. Needed if ``use_fused_positives``.

        Returns:
            dict: ``loss_{prefix}nce`` and, with ``use_ranking``,
            ``loss_{prefix}rank``, both scalars.
        """
        for name, tensor in (('complete', complete), ('masked', masked),
                             ('fused', fused)):
            if tensor is not None and tensor.shape != anchor.shape:
                raise ValueError(
                    f'TriModalAlignmentLoss: {name!r} must have the shape '
                    f'of anchor {tuple(anchor.shape)}, got '
                    f'{tuple(tensor.shape)}')
        if self.use_ranking and masked is None:
            raise ValueError('TriModalAlignmentLoss: use_ranking=True needs '
                             "the 'masked' embeddings, got None")
        positives = self._positive_types(complete, masked, fused)

        exact = self.grad_mode == 'exact'
        (rows_anchor, *rows_positives), (all_anchor, *all_positives), \
            targets = gather_rows([anchor, *positives], self.grad_mode)
        global_batch = all_anchor.shape[0]

        # anchor -> candidates over all K types: (rows, K * N).
        a2c = scaled_similarity(rows_anchor, torch.cat(all_positives),
                                self.temperature)
        same_index = [
            k * global_batch + targets for k in range(len(positives))
        ]
        loss_a2c = 0.
        for k, positive_cols in enumerate(same_index):
            logits = a2c
            other_cols = same_index[:k] + same_index[k + 1:]
            if other_cols:
                logits = a2c.scatter(1, torch.stack(other_cols, dim=1),
                                     float('-inf'))
            loss_a2c = loss_a2c + F.cross_entropy(logits, positive_cols)

        # candidates -> anchor, one InfoNCE per type.
        loss_c2a = sum(
            F.cross_entropy(
                scaled_similarity(rows, all_anchor, self.temperature),
                targets)
            for rows in rows_positives) / len(positives)

        losses = {
            f'loss_{self.prefix}nce': self.loss_weight * (loss_a2c + loss_c2a)
        }
        if self.use_ranking:
            rows_masked = masked
            if not exact:
                rows_masked = all_positives[1] if self.use_masked_positives \
                    else all_gather_with_grad(masked, reduce_grad=False)
            # s(a_i, c1_i) - s(a_i, c2_i); rows_positives[0] is c1.
            gap = (rows_anchor * (rows_positives[0] - rows_masked)).sum(-1) \
                / self.temperature
            losses[f'loss_{self.prefix}rank'] = \
                self.loss_weight * F.relu(self.margin - gap).mean()
        return losses
