import math

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from clover.models.losses.contrastive_loss import InfoNCELoss
from clover.models.losses.tri_modal_loss import TriModalAlignmentLoss

TAU = 0.05
MARGIN = 5.0


def naive_tri_modal(anchor,
                    positives,
                    masked,
                    temperature=TAU,
                    margin=MARGIN,
                    exclusive=True):
    """Exclusive tri-modal InfoNCE and ranking as explicit per-sample sums
    over the formulas of docs/method.md §2.4 and §2.5."""
    n, num_types = anchor.shape[0], len(positives)

    def s(x, y):
        return float(x @ y) / temperature

    a2c = 0.
    for i in range(n):
        for k in range(num_types):
            pos = s(anchor[i], positives[k][i])
            denom = math.exp(pos)
            for kk in range(num_types):
                for j in range(n):
                    if j != i:
                        denom += math.exp(s(anchor[i], positives[kk][j]))
                    elif kk != k and not exclusive:
                        denom += math.exp(s(anchor[i], positives[kk][j]))
            a2c -= pos - math.log(denom)
    a2c /= n

    c2a = 0.
    for k in range(num_types):
        for i in range(n):
            pos = s(anchor[i], positives[k][i])
            denom = sum(
                math.exp(s(anchor[j], positives[k][i])) for j in range(n))
            c2a -= pos - math.log(denom)
    c2a /= num_types * n

    rank = None
    if masked is not None:
        rank = sum(
            max(
                0., margin -
                (s(anchor[i], positives[0][i]) - s(anchor[i], masked[i])))
            for i in range(n)) / n
    return a2c + c2a, rank


def random_inputs(n, dim=8, seed=0):
    """Anchor, complete, masked, fused: the positives are noisy copies of
    the anchor so that the ranking hinge is active for some rows only."""
    g = torch.Generator().manual_seed(seed)
    anchor = torch.randn(n, dim, generator=g, dtype=torch.double)
    others = [
        anchor + scale * torch.randn(n, dim, generator=g, dtype=torch.double)
        for scale in (0.6, 1.0, 0.8)
    ]
    return [F.normalize(x, dim=-1) for x in [anchor] + others]


# (loss kwargs, indices of the positive types among complete/masked/fused)
SWITCHES = [
    (dict(), (0, 1, 2)),
    (dict(use_masked_positives=False), (0, 2)),
    (dict(use_fused_positives=False), (0, 1)),
    (dict(use_masked_positives=False, use_fused_positives=False), (0, )),
    (dict(use_ranking=False), (0, 1, 2)),
]


@pytest.mark.parametrize('kwargs,types', SWITCHES)
def test_matches_naive_loop(kwargs, types):
    anchor, complete, masked, fused = random_inputs(6)
    out = TriModalAlignmentLoss(**kwargs)(anchor, complete, masked, fused)
    candidates = (complete, masked, fused)
    use_ranking = kwargs.get('use_ranking', True)
    nce, rank = naive_tri_modal(anchor, [candidates[k] for k in types],
                                masked if use_ranking else None)
    assert out['loss_nce'].item() == pytest.approx(nce, rel=1e-10)
    if use_ranking:
        assert out['loss_rank'].item() == pytest.approx(rank, rel=1e-10)
        # The inputs make the hinge active for some rows and not others.
        assert 0 < rank < MARGIN
    else:
        assert 'loss_rank' not in out


def test_exclusion_of_same_index_positives_matters():
    """Guards the naive reference: the non-exclusive variant is different,
    so the comparison above checks the exclusion."""
    anchor, complete, masked, fused = random_inputs(6)
    exclusive, _ = naive_tri_modal(anchor, [complete, masked, fused], None)
    plain, _ = naive_tri_modal(anchor, [complete, masked, fused],
                               None,
                               exclusive=False)
    assert abs(exclusive - plain) > 0.1


def test_single_type_is_infonce():
    anchor, complete, _, _ = random_inputs(5)
    out = TriModalAlignmentLoss(use_masked_positives=False,
                                use_fused_positives=False,
                                use_ranking=False)(anchor, complete)
    reference = InfoNCELoss(temperature=TAU)(anchor, complete)['loss_nce']
    assert out['loss_nce'].item() == pytest.approx(reference.item(), rel=1e-10)


def test_gradients_reach_all_inputs():
    inputs = [x.requires_grad_() for x in random_inputs(4)]
    out = TriModalAlignmentLoss()(*inputs)
    (out['loss_nce'] + out['loss_rank']).backward()
    for x in inputs:
        assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_prefix_weight_and_single_sample():
    anchor, complete, masked, fused = random_inputs(4)
    base = TriModalAlignmentLoss()(anchor, complete, masked, fused)
    out = TriModalAlignmentLoss(prefix='v_', loss_weight=2.)(anchor, complete,
                                                             masked, fused)
    assert set(out) == {'loss_v_nce', 'loss_v_rank'}
    assert out['loss_v_nce'].item() == pytest.approx(2 *
                                                     base['loss_nce'].item())
    assert out['loss_v_rank'].item() == pytest.approx(2 *
                                                      base['loss_rank'].item())
    # One pair: no negatives, so the contrastive loss is exactly zero.
    single = [
        x[:1].clone().requires_grad_()
        for x in (anchor, complete, masked, fused)
    ]
    loss = TriModalAlignmentLoss(use_ranking=False)(*single)['loss_nce']
    loss.backward()
    assert loss.item() == pytest.approx(0., abs=1e-12)
    assert all(torch.isfinite(x.grad).all() for x in single)


def test_input_errors():
    anchor, complete, masked, fused = random_inputs(4)
    with pytest.raises(ValueError, match='use_masked_positives'):
        TriModalAlignmentLoss(use_ranking=False)(anchor, complete, None, fused)
    with pytest.raises(ValueError, match='use_fused_positives'):
        TriModalAlignmentLoss()(anchor, complete, masked, None)
    with pytest.raises(ValueError, match='use_ranking'):
        TriModalAlignmentLoss(use_masked_positives=False)(anchor, complete,
                                                          None, fused)
    with pytest.raises(ValueError, match="'fused' must have the shape"):
        TriModalAlignmentLoss()(anchor, complete, masked, fused[:3])
    with pytest.raises(ValueError, match='grad_mode'):
        TriModalAlignmentLoss(grad_mode='bogus')
    # Without masked samples nothing needs them: the official code crashed.
    out = TriModalAlignmentLoss(use_masked_positives=False,
                                use_ranking=False)(anchor, complete, None,
                                                   fused)
    assert torch.isfinite(out['loss_nce'])


CASES = [
    ('exact', (3, 3), dict()),
    ('exact', (4, 2), dict()),
    ('exact', (3, 3), dict(use_masked_positives=False)),
    ('official', (3, 3), dict()),
    ('official', (3, 3), dict(use_masked_positives=False)),
]


def _worker(rank, world_size, port, queue):
    dist.init_process_group('gloo',
                            init_method=f'tcp://127.0.0.1:{port}',
                            rank=rank,
                            world_size=world_size)
    for case, (grad_mode, sizes, kwargs) in enumerate(CASES):
        start = sum(sizes[:rank])
        local = [
            x[start:start + sizes[rank]].clone().requires_grad_()
            for x in random_inputs(sum(sizes))
        ]
        out = TriModalAlignmentLoss(grad_mode=grad_mode, **kwargs)(*local)
        sum(out.values()).backward()
        queue.put((case, rank, {
            k: v.item()
            for k, v in out.items()
        }, [x.grad for x in local]))
    dist.barrier()
    dist.destroy_process_group()


@pytest.fixture(scope='module')
def two_rank_results(run_two_ranks):
    """Run every case on two gloo ranks (one spawn for all cases)."""
    return run_two_ranks(_worker, 2 * len(CASES))


@pytest.mark.parametrize('case', range(len(CASES)))
def test_two_process_gather_equals_one_process(case, two_rank_results):
    """Two gloo ranks holding parts of the batch see the global batch: their
    losses match the one-process loss of the whole batch, and the gradients
    follow the documented semantics."""
    grad_mode, sizes, kwargs = CASES[case]
    results = sorted(r[1:] for r in two_rank_results if r[0] == case)
    inputs = [x.requires_grad_() for x in random_inputs(sum(sizes))]
    single = TriModalAlignmentLoss(**kwargs)(*inputs)
    sum(single.values()).backward()

    for key in single:
        losses = [r[1][key] for r in results]
        if grad_mode == 'exact':
            # Rank losses weighted by their share of the rows average to
            # the global loss.
            weighted = sum(loss * n
                           for loss, n in zip(losses, sizes)) / sum(sizes)
            assert weighted == pytest.approx(single[key].item(), rel=1e-9)
        else:
            # Every rank computes the full global loss.
            assert losses == pytest.approx([single[key].item()] * 2, rel=1e-9)
    for index, x in enumerate(inputs):
        grad = torch.cat([r[2][index] for r in results])
        if grad_mode == 'official':
            # Each rank keeps its slice of the global loss's gradient; DDP's
            # averaging then divides it by the world size.
            torch.testing.assert_close(grad, x.grad)
        elif sizes[0] == sizes[1]:
            # The gradient of the sum of both ranks' losses: twice the
            # global gradient, which DDP's averaging divides back out.
            torch.testing.assert_close(grad, 2 * x.grad)
