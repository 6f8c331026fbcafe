"""Cross-rank gathering of embeddings for contrastive losses."""
from typing import Tuple

import torch
import torch.distributed as dist


def _world() -> Tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class _AllGatherWithGrad(torch.autograd.Function):
    """All-gather along dim 0 that lets gradients flow back to each rank's
    own slice. Ranks may hold different numbers of rows (a short last batch).
    """

    @staticmethod
    def forward(ctx, tensor: torch.Tensor, reduce_grad: bool) -> torch.Tensor:
        rank, world_size = _world()
        local_size = torch.tensor([tensor.shape[0]], device=tensor.device)
        sizes = [torch.zeros_like(local_size) for _ in range(world_size)]
        dist.all_gather(sizes, local_size)
        sizes = [int(s.item()) for s in sizes]
        max_size = max(sizes)
        padded = tensor.new_zeros((max_size, *tensor.shape[1:]))
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
        return grad[start:start + ctx.sizes[ctx.rank]], None


def all_gather_with_grad(tensor: torch.Tensor,
                         reduce_grad: bool = True) -> torch.Tensor:
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

    Returns:
        Tensor: ``(sum_r B_r, ...)`` rows of rank 0, then rank 1, and so on.
        Without an initialised process group the input is returned as is.
    """
    _, world_size = _world()
    if world_size == 1:
        return tensor
    return _AllGatherWithGrad.apply(tensor, reduce_grad)


def rank_offset(local_size: int) -> int:
    """Index of this rank's first row in :func:`all_gather_with_grad`'s
    output. A collective: every rank must call it."""
    rank, world_size = _world()
    if world_size == 1:
        return 0
    size = torch.tensor([local_size])
    if dist.get_backend() == 'nccl':
        size = size.cuda()
    sizes = [torch.zeros_like(size) for _ in range(world_size)]
    dist.all_gather(sizes, size)
    return int(sum(s.item() for s in sizes[:rank]))
