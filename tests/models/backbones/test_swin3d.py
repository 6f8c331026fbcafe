"""Tests of ``SwinTransformer3D`` against mmaction2 1.2.0's implementation and
against hand-computed properties."""
import importlib.util
import logging
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger

from clover.models.backbones import SwinTransformer3D
from clover.models.backbones.swin3d import shift_window_mask, window_partition
from clover.registry import MODELS

TINY_ARCH = dict(embed_dims=16, depths=[2, 2, 2, 2], num_heads=[2, 2, 4, 4])
WINDOW = (2, 3, 3)
# (T, H, W): the first divides evenly down to stage 3; the second needs
# padding at the patch embedding (5, 37, 45) and at the windows.
INPUT_SIZES = [(8, 48, 48), (5, 37, 45)]
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))


def load_reference_module():
    """mmaction2's swin.py, located by the benchmark's reference module
    (``tools/analysis/clover_reference.py``)."""
    path = osp.join(REPO_ROOT, 'tools', 'analysis', 'clover_reference.py')
    spec = importlib.util.spec_from_file_location('clover_reference', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_mmaction_swin()


@pytest.fixture(scope='module')
def reference():
    """A tiny mmaction2 Swin3D with every parameter randomised (so LayerNorm
    affines and bias tables matter), in eval mode."""
    torch.manual_seed(0)
    ref = load_reference_module().SwinTransformer3D(
        arch=TINY_ARCH, pretrained2d=False, window_size=WINDOW)
    ref.eval()
    with torch.no_grad():
        for name, param in ref.named_parameters():
            scale = 0.5 if 'relative_position_bias_table' in name else 0.2
            param.copy_(torch.randn_like(param) * scale)
            if 'norm' in name and name.endswith('weight'):
                param.add_(1.)  # LayerNorm gains around 1
    return ref


@pytest.fixture(scope='module')
def mmaction_ckpt(reference, tmp_path_factory):
    """The reference weights saved in the mmaction2 1.x layout."""
    path = tmp_path_factory.mktemp('ckpt') / 'mmaction_swin.pth'
    state = {f'backbone.{k}': v for k, v in reference.state_dict().items()}
    torch.save({'state_dict': state, 'meta': {'epoch': 1}}, path)
    return str(path)


def official_state(reference, prefix='backbone.'):
    """Reference weights renamed to the official Video Swin layout."""
    state = {}
    for key, value in reference.state_dict().items():
        if key.startswith('norm3.'):
            key = 'norm.' + key[len('norm3.'):]
        state[prefix + key] = value
    return state


def build(**kwargs):
    kwargs.setdefault('arch', TINY_ARCH)
    kwargs.setdefault('window_size', WINDOW)
    return SwinTransformer3D(**kwargs)


def weighted_sum(out):
    """A scalar whose gradient differs per output element."""
    return (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum()


def mask_token_vector(model):
    return model.mask_token.detach()[0, :, 0, 0, 0]


def assert_close(actual, expected, atol=1e-4):
    assert actual.shape == expected.shape
    diff = (actual - expected).abs().max().item()
    assert diff <= atol, f'max abs diff {diff}'


@pytest.mark.parametrize('attn_impl', ['sdpa', 'manual'])
def test_parity_with_mmaction_reference(reference, mmaction_ckpt, attn_impl):
    model = build(attn_impl=attn_impl, pretrained=mmaction_ckpt)
    model.init_weights()
    model.eval()
    report = model.load_pretrained(mmaction_ckpt)
    assert report.missing == [] and report.unexpected == []
    assert 'backbone.norm3.weight' not in report.skipped  # renamed to norm
    torch.manual_seed(1)
    for size in INPUT_SIZES + [(1, 32, 32)]:
        x = torch.randn(2, 3, *size)
        with torch.no_grad():
            expected = reference(x)
            actual = model(x)
        assert_close(actual, expected)


@pytest.mark.parametrize('layout', ['official', 'nobackbone'])
def test_official_layouts_and_load_report(reference, tmp_path, layout):
    prefix = 'backbone.' if layout == 'official' else ''
    state = official_state(reference, prefix)
    if layout == 'official':
        state['cls_head.fc_cls.weight'] = torch.randn(400, 128)
        state['cls_head.fc_cls.bias'] = torch.randn(400)
    state[prefix + 'layers.0.blocks.0.attn.extra_scale'] = torch.ones(1)
    path = str(tmp_path / f'{layout}.pth')
    torch.save({'state_dict': state, 'meta': {'config': 'cfg text'}}, path)

    model = build(use_mask_token=True)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        report = model.load_pretrained(path)
    finally:
        logger.removeHandler(handler)

    assert report.missing == ['mask_token']
    assert report.unexpected == ['layers.0.blocks.0.attn.extra_scale']
    expected_skipped = {
        k
        for k in state if k.endswith('relative_position_index')
        or k.startswith('cls_head.')
    }
    assert set(report.skipped) == expected_skipped
    assert len(report.loaded) == len(model.state_dict()) - 1
    logged = '\n'.join(r.getMessage() for r in records)
    assert 'mask_token' in logged and 'extra_scale' in logged

    model.eval()
    x = torch.randn(1, 3, *INPUT_SIZES[1])
    with torch.no_grad():
        assert_close(model(x), reference(x))


def test_shift_mask_matches_labelled_regions():
    """Hand-build region labels for a shifted 4x6x6 map, window 2x3x3, shift
    1x1x1, and compare with the cached mask."""
    size, window, shift = (4, 6, 6), (2, 3, 3), (1, 1, 1)
    labels = torch.zeros(size)
    for d in range(4):
        for h in range(6):
            for w in range(6):
                region = [
                    0 if p < n - win else (1 if p < n - s else 2)
                    for p, n, win, s in zip((d, h, w), size, window, shift)
                ]
                labels[d, h, w] = region[0] * 9 + region[1] * 3 + region[2]
    windows = window_partition(labels[None, ..., None], window)[..., 0]
    expected = torch.where(windows[:, :, None] == windows[:, None, :], 0.,
                           -100.)
    mask = shift_window_mask(size, window, shift, torch.device('cpu'))
    assert torch.equal(mask, expected)
    assert shift_window_mask(size, window, shift,
                             torch.device('cpu')) is mask  # cached


def test_zero_mask_equals_no_mask():
    model = build(use_mask_token=True).eval()
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        plain = model(x)
        masked = model(x, mask=torch.zeros(2, 4, 4, dtype=torch.bool))
    assert torch.equal(plain, masked)


def test_full_mask_hides_input_content():
    model = build(use_mask_token=True).eval()
    full = torch.ones(2, 4, 4)
    with torch.no_grad():
        out_a = model(torch.randn(2, 3, 4, 32, 32), mask=full)
        out_b = model(torch.randn(2, 3, 4, 32, 32) * 5, mask=full)
        unmasked = model(torch.randn(2, 3, 4, 32, 32))
    assert_close(out_a, out_b, atol=1e-5)
    assert (out_a - unmasked).abs().max() > 1e-2


def test_tube_mask_replaces_exactly_the_masked_patches():
    """A 4x4 coarse mask on an 8x8 patch grid: each coarse cell covers 2x2
    patches at every temporal position."""
    model = build(use_mask_token=True).eval()
    x = torch.randn(2, 3, 6, 32, 32)  # patch grid (3, 8, 8)
    mask = torch.rand(2, 4, 4) > 0.5
    with torch.no_grad():
        plain = model.patch_embed(x)
        masked = model.embed(x, mask)
    expected = plain.clone()
    token = mask_token_vector(model)
    for b in range(2):
        for i in range(4):
            for j in range(4):
                if mask[b, i, j]:
                    expected[b, :, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2] = \
                        token[:, None, None, None]
    assert torch.equal(masked, expected)


def test_patch_grid_mask_and_mask_errors():
    model = build(use_mask_token=True).eval()
    x = torch.randn(1, 3, 6, 32, 32)
    grid_mask = torch.zeros(1, 3, 8, 8)
    grid_mask[0, 1, 2, 5] = 1.
    with torch.no_grad():
        plain = model.patch_embed(x)
        masked = model.embed(x, grid_mask)
    changed = (masked != plain).any(dim=1)[0]
    assert changed.nonzero().tolist() == [[1, 2, 5]]
    assert torch.equal(masked[0, :, 1, 2, 5], mask_token_vector(model))
    with pytest.raises(ValueError, match='mask must be'):
        model(x, mask=torch.zeros(1, 2, 8, 8))
    with pytest.raises(ValueError, match='batch size'):
        model(x, mask=torch.zeros(2, 4, 4))
    with pytest.raises(ValueError, match='use_mask_token=False'):
        build()(x, mask=torch.zeros(1, 4, 4))


def test_one_frame_input_is_zero_padded_clip():
    """An image is a 1-frame clip: same as the clip with a zero 2nd frame."""
    model = build().eval()
    image = torch.randn(2, 3, 1, 32, 32)
    with torch.no_grad():
        out = model(image)
        padded = model(torch.cat([image, torch.zeros_like(image)], dim=2))
    assert out.shape == (2, model.out_channels, 1, 1, 1)
    assert torch.equal(out, padded)


def test_patch_stride_grid():
    model = build(patch_stride=(1, 2, 2)).eval()
    x = torch.randn(1, 3, 4, 16, 18)
    # W is zero-padded to 20, a multiple of the patch width 4, first.
    assert model.grid_size((4, 16, 18)) == (3, 7, 9)
    with torch.no_grad():
        embedded = model.patch_embed(x)
        # Hand computation: strided conv, then LayerNorm over channels.
        proj = model.patch_embed.proj
        conv = F.conv3d(
            F.pad(x, (0, 2)), proj.weight, proj.bias, stride=(1, 2, 2))
        norm = model.patch_embed.norm
        expected = F.layer_norm(
            conv.movedim(1, -1), (16, ), norm.weight, norm.bias).movedim(-1, 1)
        out = model(x)
    assert embedded.shape == (1, 16, 3, 7, 9)
    assert_close(embedded, expected, atol=1e-5)
    # Three merges halve (7, 9) rounding up: (4, 5), (2, 3), (1, 2).
    assert out.shape == (1, 128, 3, 1, 2)


def test_with_cp_same_outputs_and_grads(monkeypatch):
    calls = []
    original = torch.utils.checkpoint.checkpoint

    def spy(*args, **kwargs):
        calls.append(kwargs.get('use_reentrant'))
        return original(*args, **kwargs)

    monkeypatch.setattr(torch.utils.checkpoint, 'checkpoint', spy)
    results = []
    for with_cp in (False, True):
        torch.manual_seed(0)
        model = build(with_cp=with_cp, drop_path_rate=0.3).train()
        x = torch.randn(2, 3, 4, 24, 24, requires_grad=True)
        torch.manual_seed(1)  # same stochastic-depth draws in both runs
        out = model(x)
        weighted_sum(out).backward()
        grads = {n: p.grad for n, p in model.named_parameters()}
        results.append((out.detach(), x.grad, grads))
    assert calls == [False] * sum(TINY_ARCH['depths'])
    (out0, xg0, g0), (out1, xg1, g1) = results
    assert torch.equal(out0, out1)
    assert_close(xg1, xg0, atol=1e-6)
    for name in g0:
        assert_close(g1[name], g0[name], atol=1e-6)

    calls.clear()
    with torch.no_grad():
        model(torch.randn(1, 3, 2, 24, 24))
    model.eval()
    model(torch.randn(1, 3, 2, 24, 24))
    assert calls == []


def test_presets():
    ours = SwinTransformer3D('tiny')
    ref = load_reference_module().SwinTransformer3D(
        arch='tiny', pretrained2d=False)
    assert sum(p.numel() for p in ours.parameters()) == sum(
        p.numel() for p in ref.parameters())
    assert ours.out_channels == ref.num_features[-1] == 768
    expected = dict(
        small=(96, [2, 2, 18, 2], [3, 6, 12, 24], 768),
        base=(128, [2, 2, 18, 2], [4, 8, 16, 32], 1024),
        large=(192, [2, 2, 18, 2], [6, 12, 24, 48], 1536))
    for arch, (dims, depths, heads, out_channels) in expected.items():
        with torch.device('meta'):  # no memory, no init
            model = SwinTransformer3D(arch)
        assert model.out_channels == out_channels
        assert [len(stage.blocks) for stage in model.layers] == depths
        assert [stage.blocks[0].attn.num_heads
                for stage in model.layers] == heads
        assert model.patch_embed.proj.out_channels == dims


def test_build_from_registry_and_arch_errors():
    model = MODELS.build(
        dict(type='SwinTransformer3D', arch=TINY_ARCH, window_size=WINDOW))
    assert isinstance(model, SwinTransformer3D)
    with pytest.raises(ValueError, match='unknown arch'):
        SwinTransformer3D('huge')
    with pytest.raises(ValueError, match='not divisible'):
        build(arch=dict(embed_dims=16, depths=[2], num_heads=[3]))
    with pytest.raises(ValueError, match='attn_impl'):
        build(attn_impl='flash')


def test_frozen_stages():
    model = build(frozen_stages=2, use_mask_token=True).train()
    assert not model.mask_token.requires_grad
    for module in [model.patch_embed, model.layers[0], model.layers[1]]:
        assert not module.training
        assert not any(p.requires_grad for p in module.parameters())
    assert model.layers[2].training
    assert all(p.requires_grad for p in model.layers[2].parameters())


def test_checkpoint_errors(reference, tmp_path):
    path = str(tmp_path / 'swin.pth')
    torch.save(official_state(reference), path)
    key = 'layers.0.blocks.0.attn.relative_position_bias_table'
    with pytest.raises(ValueError) as error:
        build(window_size=(2, 5, 5)).load_pretrained(path)
    assert key in str(error.value)
    assert '(75, 2)' in str(error.value) and '(243, 2)' in str(error.value)

    missing = str(tmp_path / 'absent.pth')
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        build(pretrained=missing).init_weights()


def test_sdpa_and_manual_attention_agree_in_training_grads():
    grads = []
    for attn_impl in ('sdpa', 'manual'):
        torch.manual_seed(0)
        model = build(attn_impl=attn_impl, drop_path_rate=0.).train()
        x = torch.randn(2, 3, 5, 37, 45)
        out = model(x)
        weighted_sum(out).backward()
        grads.append({n: p.grad for n, p in model.named_parameters()})
    for name in grads[0]:
        torch.testing.assert_close(
            grads[1][name], grads[0][name], rtol=1e-4, atol=1e-5,
            msg=lambda default: f'{name}: {default}')
