"""The losses compute in fp32 under autocast: their values under bf16
autocast equal the plain fp32 values, where bf16 similarity maths would be
off by far more than the tolerance."""
import pytest
import torch
import torch.nn.functional as F

from clover.models.losses import FocalMLMLoss, InfoNCELoss
from clover.models.losses.tri_modal_loss import TriModalAlignmentLoss


def embeddings(num, batch=8, dim=32):
    generator = torch.Generator().manual_seed(0)
    return [
        F.normalize(torch.randn(batch, dim, generator=generator), dim=-1)
        for _ in range(num)
    ]


CASES = [
    (TriModalAlignmentLoss(), embeddings(4)),
    (InfoNCELoss(), embeddings(2)),
    (FocalMLMLoss(), [
        torch.randn(1, 6, 50, generator=torch.Generator().manual_seed(1)),
        torch.tensor([[3, 7, -100, 9, 1, -100]])
    ]),

]


def upcast(value):
    return value.float() if value.is_floating_point() else value


@pytest.mark.parametrize('input_dtype', [torch.float32, torch.bfloat16])
@pytest.mark.parametrize('loss, args', CASES)
def test_loss_under_bf16_autocast_equals_fp32(loss, args, input_dtype):
    """Under autocast the inputs arrive as the encoders' bf16 outputs or as
    fp32; either way the loss is the fp32 loss of the upcast inputs."""
    args = [a.to(input_dtype) if a.is_floating_point() else a for a in args]
    expected = loss(*map(upcast, args))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        got = loss(*args)
        # Without the decorator the loss's matmuls would run in bf16.
        assert (args[0] @ args[0].transpose(-1, -2)).dtype == torch.bfloat16
    if isinstance(expected, torch.Tensor):
        expected, got = {'loss': expected}, {'loss': got}
    for key, value in expected.items():
        assert got[key].dtype == torch.float32
        torch.testing.assert_close(got[key], value, rtol=1e-6, atol=1e-6)


def test_bf16_similarities_would_break_the_tolerance():
    """The test above can fail: the same InfoNCE on bf16-rounded
    similarities is off by more than its tolerance."""
    video, text = embeddings(2)
    exact = InfoNCELoss()(video, text)['loss_nce']
    rounded = InfoNCELoss()(video.bfloat16().float(),
                            text.bfloat16().float())['loss_nce']
    assert (rounded - exact).abs() > 1e-4
