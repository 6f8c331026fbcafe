"""QA heads against a hand-written functional version of the official
layers."""
import pytest
import torch
import torch.nn.functional as F

from clover.models.heads import MultipleChoiceHead, OpenEndedQAHead
from clover.registry import MODELS


def reference(head, x):
    """Dropout (eval: identity) -> Linear -> LN -> GELU -> Linear, from the
    head's own weights."""
    first, norm, last = head.layers[1], head.layers[2], head.layers[4]
    hidden = F.linear(x, first.weight, first.bias)
    hidden = F.layer_norm(hidden, (hidden.shape[-1], ), norm.weight,
                          norm.bias, norm.eps)
    return F.linear(F.gelu(hidden), last.weight, last.bias)


def test_open_ended_head_layout_and_output():
    torch.manual_seed(0)
    head = OpenEndedQAHead(in_channels=8, num_answers=5, dropout=0.5).eval()
    # Official QA_OE_Head: 768 -> 384 -> A, i.e. a D/2 hidden width.
    assert head.layers[1].weight.shape == (4, 8)
    assert head.layers[4].weight.shape == (5, 4)
    assert head.layers[0].p == 0.5
    x = torch.randn(3, 8)
    torch.testing.assert_close(head(x), reference(head, x))
    # Xavier weights, zero biases.
    assert head.layers[1].bias.abs().sum() == 0
    assert head.layers[1].weight.abs().max() <= (6 / (8 + 4))**0.5


def test_multiple_choice_head_scores_each_row():
    torch.manual_seed(0)
    head = MODELS.build(
        dict(type='MultipleChoiceHead', in_channels=8, hidden_channels=6))
    head.eval()
    assert head.layers[1].weight.shape == (6, 8)
    x = torch.randn(4, 8)
    scores = head(x)
    assert scores.shape == (4, )
    torch.testing.assert_close(scores, reference(head, x).squeeze(-1))
    # Rows are scored independently.
    torch.testing.assert_close(head(x[2:3]), scores[2:3])


def test_dropout_is_on_the_input_in_training():
    torch.manual_seed(0)
    head = OpenEndedQAHead(in_channels=8, num_answers=3, dropout=0.5)
    x = torch.randn(64, 8)
    assert not torch.allclose(head.train()(x), head.eval()(x))


def test_bad_input_and_config():
    head = OpenEndedQAHead(in_channels=8, num_answers=3)
    with pytest.raises(ValueError, match=r'\(N, 8\)'):
        head(torch.randn(2, 7))
    with pytest.raises(ValueError, match='dropout'):
        MultipleChoiceHead(in_channels=8, dropout=1.0)
    with pytest.raises(ValueError, match='out_channels'):
        OpenEndedQAHead(in_channels=8, num_answers=0)
