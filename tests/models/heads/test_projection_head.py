import torch
import torch.nn.functional as F

from clover.models.heads import ProjectionHead


def test_matches_hand_written_composition():
    head = ProjectionHead(6, 10, 4, norm=True)
    x = torch.randn(5, 6)
    lin1, ln1, _, _, lin2, ln2 = head.layers
    expected = F.layer_norm(
        F.linear(
            F.gelu(F.layer_norm(F.linear(x, lin1.weight, lin1.bias), (10, ))),
            lin2.weight, lin2.bias), (4, ))
    torch.testing.assert_close(head(x), expected)


def test_init_and_no_norm_variant():
    head = ProjectionHead(6, 6, 6, norm=False)
    assert not any(isinstance(m, torch.nn.LayerNorm) for m in head.modules())
    for m in head.modules():
        if isinstance(m, torch.nn.Linear):
            assert torch.count_nonzero(m.bias) == 0
            bound = (6. / (m.in_features + m.out_features))**0.5
            assert m.weight.abs().max() <= bound
    assert head(torch.randn(2, 6)).shape == (2, 6)
