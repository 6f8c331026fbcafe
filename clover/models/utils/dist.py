"""Cross-rank gathering of embeddings for contrastive losses."""
from typing import List, Optional, Tuple

import torch
import torch.distributed as dist


def _world() -> Tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def gather_sizes(local_size: int) -> List[int]:
    """Every rank's number of rows, rank 0 first. A collective: every rank
    must call it.

    This is the one value a gather needs on the host (to slice the padded
    rows), so a loss exchanges it once and passes it to
    :func:`all_gather_with_grad` and :func:`rank_offset`.
    """
    _, world_size = _world()
    if world_size == 1:
        return [local_size]
    size = torch.tensor([local_size])
    if dist.get_backend() == 'nccl':
        size = size.cuda()
    sizes = [torch.zeros_like(size) for _ in range(world_size)]
    dist.all_gather(sizes, size)
    return torch.cat(sizes).tolist()


class _AllGatherWithGrad(torch.autograd.Function):
    """All-gather along dim 0 that lets gradients flow back to each rank's
    own slice. Ranks may hold different numbers of rows (a short last batch).
    """

    @staticmethod
    def forward(ctx, tensor: torch.Tensor, reduce_grad: bool,
                sizes: List[int]) -> torch.Tensor:
        rank, world_size = _world()
        padded = tensor.new_zeros((max(sizes), *tensor.shape[1:]))
        padded[:tensor.shape[0]] = tensor
        gathered = [torch.empty_like(padded) for _ in range(world_size)]
        dist.all_gather(gathered, padded.contiguous())
        ctx.reduce_grad = reduce_grad
        ctx.sizes = sizes
        ctx.rank = rank
        return torch.cat([g[:n] for g, n in zip(gathered, sizes)])

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        grad = grad_output.contiguous()
        if ctx.reduce_grad:
            # Every rank's loss depends on this rank's rows: sum their grads.
            grad = grad.clone()
            dist.all_reduce(grad)
        start = sum(ctx.sizes[:ctx.rank])
        return grad[start:start + ctx.sizes[ctx.rank]], None, None


def all_gather_with_grad(tensor: torch.Tensor,
                         reduce_grad: bool = True,
                         sizes: Optional[List[int]] = None) -> torch.Tensor:
    """Concatenate ``tensor`` from every rank along dim 0, differentiably.

    Args:
        tensor (Tensor): ``(B_rank, ...)`` local rows.
        reduce_grad (bool): If True, the backward pass sums the gradient of
            the gathered tensor over ranks before taking this rank's slice, so
            that each rank receives the gradient of *all* ranks' losses with
            respect to its rows. With DDP's gradient averaging this yields the
            exact gradient of the mean of the per-rank losses. If False, only
            this rank's own loss contributes (the official Clover behaviour).
            Defaults to True.
        sizes (list[int], optional): Every rank's rows, from
            :func:`gather_sizes`; exchanged here when not given.

    Returns:
        Tensor: ``(sum_r B_r, ...)`` rows of rank 0, then rank 1, and so on.
        Without an initialised process group the input is returned as is.
    """
    _, world_size = _world()
    if world_size == 1:
        return tensor
    if sizes is None:
        sizes = gather_sizes(tensor.shape[0])
    return _AllGatherWithGrad.apply(tensor, reduce_grad, sizes)


def rank_offset(local_size: int, sizes: Optional[List[int]] = None) -> int:
    """Index of this rank's first row in :func:`all_gather_with_grad`'s
    output. A collective when ``sizes`` is not given: every rank must call
    it then."""
    rank, world_size = _world()
    if world_size == 1:
        return 0
    if sizes is None:
        sizes = gather_sizes(local_size)
    return sum(sizes[:rank])
