import math

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from clover.models.losses import InfoNCELoss


def naive_infonce(video, text, temperature):
    """Symmetric InfoNCE written as explicit per-pair sums."""
    n = video.shape[0]
    total = 0.
    for i in range(n):
        v2t = [float(video[i] @ text[j]) / temperature for j in range(n)]
        t2v = [float(text[i] @ video[j]) / temperature for j in range(n)]
        total -= v2t[i] - math.log(sum(math.exp(s) for s in v2t))
        total -= t2v[i] - math.log(sum(math.exp(s) for s in t2v))
    return total / n


def random_pairs(n, dim=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    video = F.normalize(torch.randn(n, dim, generator=g), dim=-1)
    text = F.normalize(torch.randn(n, dim, generator=g), dim=-1)
    return video.double(), text.double()


def test_matches_naive_loop():
    video, text = random_pairs(6)
    out = InfoNCELoss(temperature=0.05)(video, text)
    assert out['loss_nce'].item() == pytest.approx(
        naive_infonce(video, text, 0.05), rel=1e-9)
    assert out['nce_global_batch'].item() == 6


def test_loss_weight_and_shape_check():
    video, text = random_pairs(4)
    base = InfoNCELoss()(video, text)['loss_nce']
    assert InfoNCELoss(loss_weight=2.)(video, text)['loss_nce'] == \
        pytest.approx(2 * base.item())
    with pytest.raises(ValueError, match='one text per video'):
        InfoNCELoss()(video, text[:3])
    with pytest.raises(ValueError, match='grad_mode'):
        InfoNCELoss(grad_mode='bogus')


CASES = [('exact', (3, 3)), ('exact', (4, 2)), ('official', (3, 3))]


def _worker(rank, world_size, port, queue):
    dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=world_size)
    for case, (grad_mode, sizes) in enumerate(CASES):
        video, text = random_pairs(sum(sizes))
        start = sum(sizes[:rank])
        local_v = video[start:start + sizes[rank]].clone().requires_grad_()
        local_t = text[start:start + sizes[rank]].clone().requires_grad_()
        out = InfoNCELoss(grad_mode=grad_mode)(local_v, local_t)
        out['loss_nce'].backward()
        queue.put((case, rank, out['loss_nce'].item(),
                   out['nce_global_batch'].item(), local_v.grad, local_t.grad))
    dist.barrier()
    dist.destroy_process_group()


@pytest.fixture(scope='module')
def two_rank_results(run_two_ranks):
    """Run every case on two gloo ranks (one spawn for all cases)."""
    return run_two_ranks(_worker, 2 * len(CASES))


@pytest.mark.parametrize('case', range(len(CASES)))
def test_two_process_gather_equals_one_process(case, two_rank_results):
    """Two gloo ranks with part of the batch each see the global batch: the
    losses equal the one-process loss of the whole batch, and the gradients
    follow the documented semantics."""
    grad_mode, sizes = CASES[case]
    results = sorted(r[1:] for r in two_rank_results if r[0] == case)
    video, text = random_pairs(sum(sizes))
    video.requires_grad_()
    text.requires_grad_()
    single = InfoNCELoss()(video, text)['loss_nce']
    single.backward()

    losses = [r[1] for r in results]
    assert all(r[2] == sum(sizes) for r in results)
    grad_v = torch.cat([r[3] for r in results])
    grad_t = torch.cat([r[4] for r in results])
    if grad_mode == 'exact':
        # Per-rank losses weighted by their share of the pairs average to
        # the global loss; the summed gradient equals world_size times the
        # global gradient, which DDP's averaging divides back out.
        weighted = sum(l * n for l, n in zip(losses, sizes)) / sum(sizes)
        assert weighted == pytest.approx(single.item(), rel=1e-9)
        if sizes[0] == sizes[1]:
            torch.testing.assert_close(grad_v, 2 * video.grad)
            torch.testing.assert_close(grad_t, 2 * text.grad)
    else:
        # Every rank computes the full loss; each keeps its own slice of the
        # gradient of that loss (DDP then divides by the world size).
        assert losses == pytest.approx([single.item()] * 2, rel=1e-9)
        torch.testing.assert_close(grad_v, video.grad)
        torch.testing.assert_close(grad_t, text.grad)
