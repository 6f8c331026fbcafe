"""Write open-ended video QA questions for the synthetic demo corpus, and
score the majority-answer baseline.

Every video of the demo corpus (``tools/data/make_demo_dataset.py``) shows
identical objects moving together, so any attribute of the video has one
value. Each video gets 2-4 questions; a question names 0-2 of the video's
other attributes (as the corpus' captions phrase them, with their synonyms)
and asks one of ``colour``, ``shape``, ``size``, ``direction``, ``speed`` or
``count`` (its ``question_type``), e.g. "What colour are the two objects that
move to the left?" -> ``red``. A question never contains a word of the
values its type can take (not even the asked value's synonyms), so the text
alone does not give the answer away.

The answer vocabulary is fixed: every value of every asked attribute
(:data:`ANSWER_VOCAB`, 30 answers), the same list in every split, so a
config can size its head without reading the files
(``OpenEndedQAHead.num_answers = 30``).

Output (schema v1, task ``qa_open``)::

    <demo-dir>/annotations/qa_{train,val,test}.json

Usage::

    python tools/data/make_demo_qa.py --demo-dir data/demo
    python tools/data/make_demo_qa.py --demo-dir data/demo --baseline

``--baseline`` prints, as one JSON line, the test accuracy (%) of answering
each question with the most frequent training answer of its question type,
overall (``acc``) and per type (``acc/<type>``).

The same arguments give byte-identical files.
"""
import argparse
import json
import os.path as osp
import sys
from typing import Dict, List, Sequence

import numpy as np

# tools/data is no package: import the corpus generator's vocabulary from
# this file's directory.
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from make_demo_dataset import (  # noqa: E402
    BACKGROUND_WORDS, COLOUR_WORDS, COLOURS, COUNTS, DIRECTION_WORDS,
    DIRECTIONS, SHAPE_WORDS, SHAPES, SIZE_WORDS, SIZES, SPEED_ADVERBS, SPEEDS,
    SPLITS)

from clover.datasets.converters.common import (  # noqa: E402
    ConversionError, get_field, read_json, top_answers, write_annotations)

COUNT_ANSWERS = {1: 'one', 2: 'two', 3: 'three'}
# The asked attribute of each question type and the answers it can take.
TYPE_ANSWERS = {
    'colour': list(COLOURS),
    'shape': list(SHAPES),
    'size': list(SIZES),
    'direction': list(DIRECTIONS),
    'speed': list(SPEEDS),
    'count': [COUNT_ANSWERS[count] for count in COUNTS],
}
QUESTION_TYPES = tuple(TYPE_ANSWERS)
# The attribute values each question type reads from the corpus.
ATTRIBUTE_VALUES = dict(
    colour=COLOURS, shape=SHAPES, size=SIZES, direction=DIRECTIONS,
    speed=SPEEDS, count=COUNTS)
ANSWER_VOCAB = [
    answer for answers in TYPE_ANSWERS.values() for answer in answers
]
# Attributes a question may name besides the asked one.
GIVEN_KEYS = QUESTION_TYPES + ('background', )
# How many attributes a question names: 0, 1 or 2.
NUM_GIVEN_PROBS = (0.2, 0.5, 0.3)
# Words naming the count of a noun phrase (a count of 1 is "single").
COUNT_PHRASES = {1: 'single', 2: 'two', 3: 'three'}
# Question templates per type. {be} / {do} agree with the noun phrase,
# {np} is "the ..." with the named attributes; {clause} a relative clause
# with the named motion and background; {motion} / {background} the same
# phrases without "that ...".
TEMPLATES = {
    'colour': ('What colour {be} {np}{clause}?',
               'Which colour {do} {np}{clause} have?'),
    'shape': ('What shape {be} {np}{clause}?',
              'What kind of shape {be} {np}{clause}?'),
    'size': ('What size {be} {np}{clause}?',
             'Which size {do} {np}{clause} have?'),
    'direction': ('Which direction {do} {np}{background} move{motion}?',
                  'In which direction {be} {np}{background} moving{motion}?'),
    'speed': ('At what pace {do} {np}{background} move{motion}?',
              'At what speed {be} {np}{background} moving{motion}?'),
    'count': ('How many {np}{background} are there{motion_there}?',
              'How many {np}{background} can be seen{motion_there}?'),
}
SOURCE_FILES = {split: f'{split}.json' for split in SPLITS}


def output_name(split: str) -> str:
    """The QA annotation file name of a split, e.g. ``qa_train.json``."""
    return f'qa_{split}.json'


def answer_of(attributes: Dict, question_type: str) -> str:
    """The answer (an :data:`ANSWER_VOCAB` entry) to a question of
    ``question_type`` about a video with ``attributes``."""
    value = attributes[question_type]
    return COUNT_ANSWERS[value] if question_type == 'count' else str(value)


def _pick(rng: np.random.Generator, options: Sequence):
    return options[int(rng.integers(len(options)))]


def _noun_phrase(attributes: Dict, given: Sequence[str], plural: bool,
                 with_article: bool, rng: np.random.Generator) -> str:
    """E.g. "the two tiny crimson discs" or "objects" (no attribute)."""
    words = ['the'] if with_article else []
    if 'count' in given:
        words.append(COUNT_PHRASES[attributes['count']])
    if 'size' in given:
        words.append(_pick(rng, SIZE_WORDS[attributes['size']]))
    if 'colour' in given:
        words.append(_pick(rng, COLOUR_WORDS[attributes['colour']]))
    if 'shape' in given:
        singular, plural_noun = _pick(rng, SHAPE_WORDS[attributes['shape']])
    else:
        singular, plural_noun = 'object', 'objects'
    words.append(plural_noun if plural else singular)
    return ' '.join(words)


def _motion(attributes: Dict, given: Sequence[str],
            rng: np.random.Generator) -> str:
    """The named direction and speed after a verb, e.g. " to the left
    quickly"; "" when neither is named."""
    words = []
    if 'direction' in given:
        words.append(_pick(rng, DIRECTION_WORDS[attributes['direction']]))
    if 'speed' in given:
        words.append(_pick(rng, SPEED_ADVERBS[attributes['speed']]))
    return ''.join(' ' + word for word in words)


def make_question(attributes: Dict, question_type: str, given: Sequence[str],
                  rng: np.random.Generator) -> str:
    """Phrase one question.

    Args:
        attributes (dict): The video's attributes.
        question_type (str): The asked attribute (a key of
            :data:`TYPE_ANSWERS`).
        given (Sequence[str]): The other attributes the question names
            (:data:`GIVEN_KEYS`, without ``question_type``).
        rng (np.random.Generator): Picks the template and the synonyms.

    Returns:
        str: The question, capitalised, ending with "?".
    """
    if question_type in given:
        raise ValueError(f'a {question_type} question cannot name the '
                         f'{question_type}')
    # "How many" takes a plural whatever the count: the number of the noun
    # must not tell the answer.
    plural = question_type == 'count' or attributes['count'] > 1
    motion = _motion(attributes, given, rng)
    background = ''
    if 'background' in given:
        background = ' on the {} background'.format(
            _pick(rng, BACKGROUND_WORDS[attributes['background']]))
    clause = background
    if motion:
        clause = ' that {}{}{}'.format('move' if plural else 'moves', motion,
                                       background)
    template = _pick(rng, TEMPLATES[question_type])
    return template.format(
        np=_noun_phrase(attributes, given, plural, question_type != 'count',
                        rng),
        be='are' if plural else 'is',
        do='do' if plural else 'does',
        clause=clause,
        background=background,
        motion=motion,
        motion_there=' moving' + motion if motion else '')


def make_questions(video: Dict, rng: np.random.Generator) -> List[Dict]:
    """The 2-4 question records of one video, each of a different type.

    Args:
        video (dict): A demo annotation record (``video_id``, ``video``,
            ``attributes``).
        rng (np.random.Generator): The split's random stream.

    Returns:
        list[dict]: ``qa_open`` records (``question_id`` is
        ``<video_id>_q<k>``).
    """
    attributes = video['attributes']
    num_questions = int(rng.integers(2, 5))
    types = rng.choice(len(QUESTION_TYPES), num_questions, replace=False)
    records = []
    for index, type_index in enumerate(types):
        question_type = QUESTION_TYPES[type_index]
        candidates = [key for key in GIVEN_KEYS if key != question_type]
        num_given = int(rng.choice(len(NUM_GIVEN_PROBS), p=NUM_GIVEN_PROBS))
        given = [
            candidates[i] for i in sorted(
                rng.choice(len(candidates), num_given, replace=False))
        ]
        records.append(
            dict(
                question_id=f"{video['video_id']}_q{index}",
                video_id=video['video_id'],
                video=video['video'],
                question=make_question(attributes, question_type, given, rng),
                answer=answer_of(attributes, question_type),
                question_type=question_type))
    return records


def _read_videos(path: str) -> List[Dict]:
    """The records of a demo annotation file, checked for what the
    questions need."""
    content = read_json(path, 'demo annotation file')
    videos = get_field(content, 'data_list', path, 'the file')
    for index, video in enumerate(videos):
        where = f'record {index}'
        for field in ('video_id', 'video'):
            get_field(video, field, path, where)
        attributes = get_field(video, 'attributes', path, where)
        for key in GIVEN_KEYS:
            value = get_field(attributes, key, path, f'{where} attributes')
            allowed = ATTRIBUTE_VALUES.get(key)
            if allowed is not None and value not in allowed:
                raise ConversionError(
                    f"{path}: {where}: field 'attributes.{key}' is "
                    f'{value!r}, not one of {list(allowed)}')
    return videos


def build_qa(demo_dir: str, seed: int = 0) -> Dict[str, int]:
    """Write ``annotations/qa_{train,val,test}.json`` of a demo corpus.

    Args:
        demo_dir (str): The corpus directory (with
            ``annotations/{train,val,test}.json``).
        seed (int): Seed of the questions. Defaults to 0.

    Returns:
        dict: Questions per split.
    """
    ann_dir = osp.join(demo_dir, 'annotations')
    # Every source is checked before anything is written.
    videos_of_split = {
        split: _read_videos(osp.join(ann_dir, SOURCE_FILES[split]))
        for split in SPLITS
    }
    summary = {}
    for split_index, (split, videos) in enumerate(videos_of_split.items()):
        # One stream per split: regenerating a split never shifts another.
        rng = np.random.default_rng([seed, split_index])
        data_list = [
            record for video in videos
            for record in make_questions(video, rng)
        ]
        metainfo = dict(
            dataset_name='clover_demo_qa',
            split=split,
            source=[SOURCE_FILES[split]],
            answer_vocab=ANSWER_VOCAB,
            question_types=list(QUESTION_TYPES),
            seed=seed)
        write_annotations(
            osp.join(ann_dir, output_name(split)), metainfo, data_list,
            'qa_open')
        summary[split] = len(data_list)
    return summary


def majority_answers(train_records: Sequence[Dict]) -> Dict[str, str]:
    """The most frequent training answer of each question type (ties: the
    first answer in string order)."""
    answers = {}
    for record in train_records:
        answers.setdefault(record['question_type'], []).append(
            record['answer'])
    return {
        question_type: top_answers(type_answers, 1)[0]
        for question_type, type_answers in answers.items()
    }


def majority_baseline(train_records: Sequence[Dict],
                      test_records: Sequence[Dict]) -> Dict[str, float]:
    """Accuracy (%) of answering every test question with its type's most
    frequent training answer.

    Args:
        train_records (Sequence[dict]): Training questions
            (``question_type``, ``answer``).
        test_records (Sequence[dict]): Test questions.

    Returns:
        dict: ``acc`` over all test questions and ``acc/<type>`` per type,
        the keys of :class:`VideoQAAccuracy` without its prefix.
    """
    majority = majority_answers(train_records)
    hits = {}
    for record in test_records:
        question_type = record['question_type']
        if question_type not in majority:
            raise ValueError(f'no training question of type {question_type!r}')
        hits.setdefault(question_type, []).append(
            record['answer'] == majority[question_type])
    every_hit = [hit for type_hits in hits.values() for hit in type_hits]
    result = {'acc': 100.0 * sum(every_hit) / len(every_hit)}
    for question_type in sorted(hits):
        type_hits = hits[question_type]
        result[f'acc/{question_type}'] = 100.0 * sum(type_hits) / len(
            type_hits)
    return result


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--demo-dir', default='data/demo')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--baseline',
        action='store_true',
        help='print the majority-answer baseline of the existing '
        'qa_test.json (trained on qa_train.json) as JSON and exit')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    ann_dir = osp.join(args.demo_dir, 'annotations')
    if args.baseline:
        train, test = (
            read_json(osp.join(ann_dir, output_name(split)),
                      f'demo QA {split} file')['data_list']
            for split in ('train', 'test'))
        print(json.dumps(majority_baseline(train, test)))
        return
    summary = build_qa(args.demo_dir, args.seed)
    print(f"Demo QA: {summary['train']}/{summary['val']}/{summary['test']} "
          f'train/val/test questions, {len(ANSWER_VOCAB)} answers -> '
          f'{ann_dir}')


if __name__ == '__main__':
    main()
