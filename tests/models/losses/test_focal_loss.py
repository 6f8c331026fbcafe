import math

import pytest
import torch
import torch.nn.functional as F

from clover.models.losses.focal_loss import FocalMLMLoss


def random_batch(seed=0, n=2, length=5, vocab=7):
    g = torch.Generator().manual_seed(seed)
    logits = 2 * torch.randn(n, length, vocab, generator=g, dtype=torch.double)
    labels = torch.randint(0, vocab, (n, length), generator=g)
    labels[torch.rand(n, length, generator=g) < 0.5] = -100
    labels[0, 0] = 3  # at least one predicted position
    return logits, labels


def naive_focal(logits, labels, gamma):
    """(1 - p_t)^gamma * -log p_t averaged over the labelled positions."""
    total, count = 0., 0
    for n in range(labels.shape[0]):
        for pos in range(labels.shape[1]):
            label = int(labels[n, pos])
            if label == -100:
                continue
            row = [float(x) for x in logits[n, pos]]
            p_t = math.exp(row[label]) / sum(math.exp(x) for x in row)
            total += (1 - p_t)**gamma * -math.log(p_t)
            count += 1
    return total / count


@pytest.mark.parametrize('gamma', [2.0, 0.5])
def test_matches_naive_loop(gamma):
    logits, labels = random_batch()
    loss = FocalMLMLoss(gamma=gamma)(logits, labels)
    assert loss.item() == pytest.approx(naive_focal(logits, labels, gamma),
                                        rel=1e-10)


def test_gamma_zero_is_cross_entropy_and_weight():
    logits, labels = random_batch(seed=1)
    logits.requires_grad_()
    loss = FocalMLMLoss(gamma=0.)(logits, labels)
    loss.backward()
    grad = logits.grad.clone()
    logits.grad = None
    reference = F.cross_entropy(logits.flatten(0, 1),
                                labels.flatten(),
                                ignore_index=-100)
    reference.backward()
    assert loss.item() == pytest.approx(reference.item(), rel=1e-12)
    torch.testing.assert_close(grad, logits.grad)
    weighted = FocalMLMLoss(gamma=0., loss_weight=3.)(logits, labels)
    assert weighted.item() == pytest.approx(3 * reference.item())


def test_focal_down_weights_easy_positions():
    """With gamma > 0 every term is below its cross-entropy."""
    logits, labels = random_batch(seed=2)
    assert FocalMLMLoss(gamma=2.)(logits, labels) < \
        FocalMLMLoss(gamma=0.)(logits, labels)


def test_no_masked_position_gives_zero_with_graph():
    logits, _ = random_batch()
    logits.requires_grad_()
    labels = torch.full(logits.shape[:2], -100)
    loss = FocalMLMLoss()(logits, labels)
    assert loss.item() == 0. and loss.requires_grad
    loss.backward()
    assert torch.equal(logits.grad, torch.zeros_like(logits))


def test_custom_ignore_index_and_errors():
    logits, labels = random_batch(seed=3)
    labels[labels == 0] = 1  # keep id 0 free to serve as the ignore index
    relabelled = labels.masked_fill(labels == -100, 0)
    assert FocalMLMLoss(ignore_index=0)(logits, relabelled).item() == \
        pytest.approx(FocalMLMLoss()(logits, labels).item(), rel=1e-12)
    with pytest.raises(ValueError, match='labels'):
        FocalMLMLoss()(logits, labels[:, :3])
    with pytest.raises(ValueError, match='gamma'):
        FocalMLMLoss(gamma=-1.)


def test_gradient_matches_finite_differences():
    """The modulating factor is differentiated too, as in the official
    loss (no detach)."""
    logits, labels = random_batch(seed=4, length=3, vocab=4)
    logits.requires_grad_()
    assert torch.autograd.gradcheck(
        lambda x: FocalMLMLoss(gamma=2.)(x, labels), (logits, ))


def test_unlabelled_positions_do_not_reach_the_loss():
    """The masked maths over all positions: whatever an unlabelled
    position's logits hold (even inf), loss and gradient are those of the
    labelled positions alone."""
    logits, labels = random_batch(seed=4)
    logits.requires_grad_()
    loss = FocalMLMLoss()(logits, labels)
    loss.backward()
    grad = logits.grad.clone()
    poisoned = logits.detach().masked_fill((labels == -100)[..., None],
                                           float('inf')).requires_grad_()
    poisoned_loss = FocalMLMLoss()(poisoned, labels)
    poisoned_loss.backward()
    assert poisoned_loss.item() == pytest.approx(loss.item(), rel=1e-12)
    labelled = labels != -100
    torch.testing.assert_close(poisoned.grad[labelled], grad[labelled])
    assert torch.equal(poisoned.grad[~labelled],
                       torch.zeros_like(grad[~labelled]))
