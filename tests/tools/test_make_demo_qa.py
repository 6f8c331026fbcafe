"""tools/data/make_demo_qa.py: deterministic questions whose answers are the
videos' attributes, which never give their answer away, spread evenly over
the question types, readable by VideoQADataset; and the majority-answer
baseline on hand-computed cases."""
import filecmp
import importlib.util
import json
import os.path as osp
import re
import shutil
from collections import Counter

import numpy as np
import pytest

from clover.datasets import VideoQADataset

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SPLITS = ('train', 'val', 'test')
# The values each question type can take, written out independently of the
# tool.
TYPE_VALUES = {
    'colour': ('red', 'green', 'blue', 'yellow', 'purple', 'orange', 'cyan',
               'pink'),
    'shape': ('circle', 'square', 'triangle', 'diamond', 'cross', 'ring'),
    'size': ('small', 'medium', 'large'),
    'direction': ('left', 'right', 'up', 'down', 'up-left', 'up-right',
                  'down-left', 'down-right'),
    'speed': ('slow', 'fast'),
    'count': ('one', 'two', 'three'),
}
COUNT_NAMES = {1: 'one', 2: 'two', 3: 'three'}


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO_ROOT, 'tools', 'data', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_demo_dataset = load_tool('make_demo_dataset')
make_demo_qa = load_tool('make_demo_qa')
# Every phrasing of every value of a type, as the captions use them.
TYPE_PHRASES = {
    'colour': make_demo_dataset.COLOUR_WORDS,
    'shape': {
        shape: [word for pair in pairs for word in pair]
        for shape, pairs in make_demo_dataset.SHAPE_WORDS.items()
    },
    'size': make_demo_dataset.SIZE_WORDS,
    'direction': make_demo_dataset.DIRECTION_WORDS,
    'speed': {
        speed: make_demo_dataset.SPEED_ADVERBS[speed] +
        make_demo_dataset.PACE_WORDS[speed]
        for speed in make_demo_dataset.SPEEDS
    },
    # Without the article "a", which any question may hold.
    'count': {
        count: [word for word in words if word != 'a']
        for count, words in make_demo_dataset.COUNT_WORDS.items()
    },
}


def contains_phrase(text, phrase):
    return re.search(rf'(?<![\w-]){re.escape(phrase)}(?![\w-])',
                     text.lower()) is not None


@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    """240 / 20 / 20 videos of 2 frames at 32 px and their QA files."""
    out = str(tmp_path_factory.mktemp('demo'))
    make_demo_dataset.build_corpus(
        out, num_train=240, num_val=20, num_test=20, num_frames=2, size=32,
        workers=1)
    make_demo_qa.build_qa(out, seed=0)
    return out


def read(corpus, name):
    with open(osp.join(corpus, 'annotations', name)) as file:
        return json.load(file)


def test_same_seed_same_bytes_other_seed_other_questions(corpus, tmp_path):
    shutil.copytree(osp.join(corpus, 'annotations'), tmp_path / 'annotations')
    make_demo_qa.build_qa(str(tmp_path), seed=0)
    for split in SPLITS:
        name = f'qa_{split}.json'
        assert filecmp.cmp(
            osp.join(corpus, 'annotations', name),
            tmp_path / 'annotations' / name,
            shallow=False), name
    make_demo_qa.build_qa(str(tmp_path), seed=1)
    questions = [
        record['question']
        for record in read(str(tmp_path), 'qa_train.json')['data_list']
    ]
    assert questions != [
        record['question']
        for record in read(corpus, 'qa_train.json')['data_list']
    ]


def test_answers_are_the_asked_attribute(corpus):
    for split in SPLITS:
        videos = {
            video['video_id']: video
            for video in read(corpus, f'{split}.json')['data_list']
        }
        content = read(corpus, f'qa_{split}.json')
        assert content['metainfo']['task'] == 'qa_open'
        assert content['metainfo']['split'] == split
        questions_per_video = Counter()
        types_per_video = {}
        for record in content['data_list']:
            video = videos[record['video_id']]
            assert record['video'] == video['video']
            attribute = video['attributes'][record['question_type']]
            if record['question_type'] == 'count':
                attribute = COUNT_NAMES[attribute]
            assert record['answer'] == attribute, record
            questions_per_video[record['video_id']] += 1
            types_per_video.setdefault(record['video_id'], []).append(
                record['question_type'])
        assert set(questions_per_video) == set(videos)
        assert set(questions_per_video.values()) <= {2, 3, 4}
        # Several question types per video, none twice.
        assert all(
            len(set(types)) == len(types)
            for types in types_per_video.values())


def test_question_names_no_value_of_its_type_and_no_wrong_value(corpus):
    attributes = {
        video['video_id']: video['attributes']
        for split in SPLITS
        for video in read(corpus, f'{split}.json')['data_list']
    }
    records = [
        record for split in SPLITS
        for record in read(corpus, f'qa_{split}.json')['data_list']
    ]
    for record in records:
        question = record['question']
        assert question.endswith('?') and question[0].isupper(), question
        # Not the answer, nor any other value of its type, in any phrasing.
        asked = record['question_type']
        words = set(re.findall(r'[a-z]+', question.lower()))
        assert not words & set(
            re.findall(r'[a-z]+', ' '.join(TYPE_VALUES[asked]))), question
        for phrases in TYPE_PHRASES[asked].values():
            for phrase in phrases:
                assert not contains_phrase(question, phrase), (question,
                                                               phrase)
        # The colours and sizes it names are the video's: one right answer.
        video = attributes[record['video_id']]
        for name in ('colour', 'size'):
            for value, phrases in TYPE_PHRASES[name].items():
                if value != video[name]:
                    assert not any(
                        contains_phrase(question, phrase)
                        for phrase in phrases), (question, video)


def test_question_types_are_balanced(corpus):
    types = Counter(record['question_type']
                    for record in read(corpus, 'qa_train.json')['data_list'])
    assert set(types) == set(TYPE_VALUES)
    mean = sum(types.values()) / len(types)
    assert all(abs(count - mean) < 0.25 * mean for count in types.values()), \
        types


def test_vocab_is_every_value_and_files_load(corpus):
    vocab = [value for values in TYPE_VALUES.values() for value in values]
    for split in SPLITS:
        path = osp.join(corpus, 'annotations', f'qa_{split}.json')
        with open(path) as file:
            content = json.load(file)
        assert sorted(content['metainfo']['answer_vocab']) == sorted(vocab)
        dataset = VideoQADataset(
            ann_file=path,
            data_prefix=dict(video=osp.join(corpus, 'videos')),
            test_mode=split != 'train')
        assert dataset.num_dropped == 0
        assert len(dataset) == len(content['data_list'])
        for index in range(len(dataset)):
            info = dataset.get_data_info(index)
            assert info['answer_label'] >= 0
            assert dataset.metainfo['answer_vocab'][info['answer_label']] \
                == info['answer']
            assert osp.isfile(info['video_path'])


def test_majority_baseline_hand_computed():
    def questions(*pairs):
        return [
            dict(question_type=question_type, answer=answer)
            for question_type, answer in pairs
        ]

    train = questions(('colour', 'red'), ('colour', 'red'),
                      ('colour', 'blue'), ('count', 'two'),
                      ('speed', 'slow'), ('speed', 'fast'))
    test = questions(('colour', 'red'), ('colour', 'red'),
                     ('colour', 'blue'), ('count', 'three'),
                     ('speed', 'fast'))
    result = make_demo_qa.majority_baseline(train, test)
    # red wins colour; the speed tie goes to "fast" (string order).
    assert result == pytest.approx({
        'acc': 300 / 5,
        'acc/colour': 200 / 3,
        'acc/count': 0.0,
        'acc/speed': 100.0
    })
    with pytest.raises(ValueError, match='size'):
        make_demo_qa.majority_baseline(train, questions(('size', 'small')))


def test_cannot_ask_what_it_names():
    attributes = dict(
        colour='red', shape='square', size='small', direction='left',
        speed='fast', count=2, background='black')
    with pytest.raises(ValueError, match='colour'):
        make_demo_qa.make_question(attributes, 'colour', ['colour'],
                                   np.random.default_rng(0))


def test_bad_attribute_names_file_and_field_and_writes_nothing(
        corpus, tmp_path):
    shutil.copytree(osp.join(corpus, 'annotations'), tmp_path / 'annotations')
    for name in (tmp_path / 'annotations').glob('qa_*.json'):
        name.unlink()
    path = tmp_path / 'annotations' / 'test.json'
    content = json.loads(path.read_text())
    content['data_list'][1]['attributes']['colour'] = 'mauve'
    path.write_text(json.dumps(content))
    with pytest.raises(make_demo_qa.ConversionError,
                       match=r"test\.json: record 1: .*'attributes\.colour'"):
        make_demo_qa.build_qa(str(tmp_path))
    assert not list((tmp_path / 'annotations').glob('qa_*.json'))
