"""The precision pieces (configs/_base_/schedules/precision.py) and the
bf16 pre-training recipe: bf16 autocast without loss scaling and fused
AdamW, everything else the fp16 recipe's; SDPA attention by default."""
import glob
import inspect
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.optim.optimizer import amp_optimizer_wrapper

from clover.models.backbones import SwinTransformer3D
from clover.models.necks import FusionTransformer
from clover.models.text_encoders import BertTextEncoder

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FP16 = osp.join(ROOT, 'configs', 'pretrain', 'clover_webvid_cc3m.py')
BF16 = osp.join(ROOT, 'configs', 'pretrain', 'clover_webvid_cc3m_bf16.py')
PRECISION = osp.join(ROOT, 'configs', '_base_', 'schedules', 'precision.py')


def test_bf16_recipe_changes_only_the_precision():
    fp16, bf16 = Config.fromfile(FP16), Config.fromfile(BF16)
    pieces = Config.fromfile(PRECISION)
    assert set(bf16) - set(fp16) == set(pieces)
    for key in fp16:
        if key not in ('optim_wrapper', 'filename'):
            assert bf16[key] == fp16[key], key
    wrapper = bf16.optim_wrapper.to_dict()
    assert wrapper.pop('dtype') == 'bfloat16'
    assert wrapper.pop('loss_scale') == dict(enabled=False)
    assert wrapper['optimizer'].pop('fused') is True
    assert wrapper == fp16.optim_wrapper.to_dict()


def test_fp16_piece_is_dynamic_scaling():
    assert Config.fromfile(PRECISION).fp16_amp == dict(
        type='AmpOptimWrapper', dtype='float16', loss_scale='dynamic',
        optimizer=dict(fused=True))


def test_bf16_wrapper_autocasts_and_does_not_scale(monkeypatch):
    """AmpOptimWrapper refuses to build without an accelerator; with that
    check bypassed, on CPU: the forward runs in bf16, the gradients are
    those of the loss itself (no scale factor), and the fused AdamW step
    equals the loop AdamW's on those gradients."""
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available',
                        lambda: True)
    cfg = Config.fromfile(BF16).optim_wrapper
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    reference = torch.nn.Linear(4, 2)
    reference.load_state_dict(model.state_dict())
    wrapper = build_optim_wrapper(model, cfg)
    assert wrapper.cast_dtype == torch.bfloat16
    assert wrapper.optimizer.defaults['fused'] is True
    inputs = torch.randn(3, 4)
    with wrapper.optim_context(model):
        output = model(inputs)
    assert output.dtype == torch.bfloat16
    loss = output.float().pow(2).sum()
    expected = torch.autograd.grad(loss, model.weight, retain_graph=True)[0]
    wrapper.backward(loss)
    torch.testing.assert_close(model.weight.grad, expected)
    grads = [p.grad.clone() for p in model.parameters()]
    wrapper.step()

    optimizer = torch.optim.AdamW(
        reference.parameters(), lr=cfg.optimizer.lr, betas=cfg.optimizer.betas,
        eps=cfg.optimizer.eps, weight_decay=cfg.optimizer.weight_decay)
    for param, grad in zip(reference.parameters(), grads):
        param.grad = grad
    # The recipe clips at 15; these gradients are far below it.
    assert torch.cat([g.flatten() for g in grads]).norm() < \
        cfg.clip_grad.max_norm
    optimizer.step()
    for got, want in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize('cls', [SwinTransformer3D, BertTextEncoder,
                                 FusionTransformer])
def test_sdpa_attention_is_the_default(cls):
    """The encoders default to F.scaled_dot_product_attention (their own
    tests check that the switch decides it), and no recipe overrides it."""
    assert inspect.signature(cls).parameters['attn_impl'].default == 'sdpa'
    model = Config.fromfile(BF16).model
    for part in ('video_encoder', 'text_encoder', 'fusion'):
        assert 'attn_impl' not in model[part]


def training_leaves():
    """Leaves with an optim_wrapper that do not list the pieces already."""
    for path in sorted(
            glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                      recursive=True)):
        cfg = Config.fromfile(path) if '_base_' not in path else {}
        if 'optim_wrapper' in cfg and 'bf16_amp' not in cfg:
            yield path


TRAINING_LEAVES = list(training_leaves())


@pytest.mark.parametrize('leaf', TRAINING_LEAVES,
                         ids=lambda path: osp.relpath(path, ROOT))
@pytest.mark.parametrize('piece', ['bf16_amp', 'fp16_amp'])
def test_every_training_leaf_takes_the_precision_pieces(tmp_path, leaf,
                                                        piece):
    """The two lines of docs/efficiency.md switch any shipped leaf: no
    schedule or leaf holds a setting the pieces cannot merge into."""
    switched = tmp_path / 'switched.py'
    switched.write_text(f'_base_ = [{leaf!r}, {PRECISION!r}]\n'
                        f'optim_wrapper = {{{{_base_.{piece}}}}}\n')
    wrapper = Config.fromfile(str(switched)).optim_wrapper
    expected = Config.fromfile(PRECISION)[piece]
    for key in ('type', 'dtype', 'loss_scale'):
        assert wrapper[key] == expected[key]
    assert wrapper.optimizer.fused is True
    assert wrapper.optimizer.lr == Config.fromfile(leaf).optim_wrapper \
        .optimizer.lr
