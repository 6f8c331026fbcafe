"""What the contrastive losses share: the cross-rank gathering of their
rows under a gradient mode, and the scaled cosine similarity."""
from typing import List, NamedTuple, Sequence

import torch

from ..utils.dist import all_gather_with_grad, gather_sizes, rank_offset

GRAD_MODES = ('exact', 'official')


def check_grad_mode(owner: str, grad_mode: str) -> None:
    """Raise a ValueError naming ``owner`` for an unknown gradient mode."""
    if grad_mode not in GRAD_MODES:
        raise ValueError(f"{owner}: grad_mode must be 'exact' or 'official', "
                         f'got {grad_mode!r}')


class GatheredRows(NamedTuple):
    """Rows of one or more embedding sets, gathered from every rank.

    Attributes:
        rows (list[Tensor]): The rows whose loss terms this rank computes,
            per set: its own ``(B, D)`` rows (``'exact'``) or all
            ``(N, D)`` rows (``'official'``).
        gathered (list[Tensor]): Every rank's rows, ``(N, D)`` per set.
        targets (Tensor): ``(len(rows[0]),)`` index of each row's positive
            among the gathered rows.
    """
    rows: List[torch.Tensor]
    gathered: List[torch.Tensor]
    targets: torch.Tensor


def gather_rows(tensors: Sequence[torch.Tensor],
                grad_mode: str) -> GatheredRows:
    """Gather paired ``(B, D)`` embedding sets for a contrastive loss.

    ``'exact'``: the gather all-reduces gradients and each rank computes the
    terms of its own rows, so after DDP's averaging the update is the exact
    gradient of the global loss. ``'official'``: each rank computes the
    whole global loss and keeps its own slice of the gradient (the official
    code), i.e. the exact gradient divided by the world size.

    Args:
        tensors (Sequence[Tensor]): ``(B, D)`` sets; row ``i`` of each
            belongs to pair ``i``.
        grad_mode (str): ``'exact'`` or ``'official'``.

    Returns:
        GatheredRows: The rows, the gathered sets and the targets.
    """
    exact = grad_mode == 'exact'
    # The sets are paired, so one exchange of the row counts serves them all.
    sizes = gather_sizes(tensors[0].shape[0])
    gathered = [
        all_gather_with_grad(t, reduce_grad=exact, sizes=sizes)
        for t in tensors
    ]
    if exact:
        offset = rank_offset(tensors[0].shape[0], sizes)
        rows = list(tensors)
    else:
        offset = 0
        rows = gathered
    targets = torch.arange(
        rows[0].shape[0], device=tensors[0].device) + offset
    return GatheredRows(rows, gathered, targets)


def scaled_similarity(rows: torch.Tensor, candidates: torch.Tensor,
                      temperature: float) -> torch.Tensor:
    """``cos(rows, candidates) / temperature`` of L2-normalised embeddings.

    Args:
        rows (Tensor): ``(M, D)`` embeddings.
        candidates (Tensor): ``(N, D)`` embeddings.
        temperature (float): Softmax temperature.

    Returns:
        Tensor: ``(M, N)`` logits.
    """
    return rows @ candidates.t() / temperature
