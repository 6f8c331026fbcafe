"""MSRVTT-QA converter: original JSON files -> schema-v1 qa_open files."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from clover.datasets.converters.common import ConversionError
from clover.datasets.converters.msrvtt_qa import convert

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))

TRAIN = [
    dict(answer='cooking', category_id=3, id=0, question='what is a man '
         'doing?', video_id=7),
    dict(answer='man', category_id=3, id=1, question='who is singing?',
         video_id=7),
    dict(answer='café', category_id=5, id=2, question='What is the café '
         'called?', video_id=12),
    dict(answer='two', category_id=5, id=3, question='how many dogs run?',
         video_id=12),
    dict(answer='man', category_id=1, id=4, question='where is the woman?',
         video_id=3),
    dict(answer='cooking', category_id=1, id=5, question='when does it '
         'rain?', video_id=3),
    # No category_id (unused) and a question word outside the five types.
    dict(answer='two', id=6, question='is this why?', video_id=3),
]
VAL = [dict(answer='man', category_id=0, id=7, question='who runs?',
            video_id=6513)]
TEST = [
    dict(answer='zebra', category_id=2, id=8, question='what animal is '
         'shown?', video_id=7010),
    dict(answer='two', category_id=2, id=9, question='how many cats?',
         video_id=7010),
]
# cooking, man and two are each given twice, café once: with 3 slots the
# tie is broken by the string and café falls out.
VOCAB = ['cooking', 'man', 'two']


def record(question_id, number, question, answer, question_type):
    return dict(question_id=question_id, video_id=f'video{number}',
                video=f'video{number}.mp4', question=question, answer=answer,
                question_type=question_type)


EXPECTED = {
    'train': [
        record('0', 7, 'what is a man doing?', 'cooking', 'what'),
        record('1', 7, 'who is singing?', 'man', 'who'),
        record('2', 12, 'What is the café called?', 'café', 'what'),
        record('3', 12, 'how many dogs run?', 'two', 'how'),
        record('4', 3, 'where is the woman?', 'man', 'where'),
        record('5', 3, 'when does it rain?', 'cooking', 'when'),
        record('6', 3, 'is this why?', 'two', 'other'),
    ],
    'val': [record('7', 6513, 'who runs?', 'man', 'who')],
    'test': [
        record('8', 7010, 'what animal is shown?', 'zebra', 'what'),
        record('9', 7010, 'how many cats?', 'two', 'how'),
    ],
}


def write_originals(ann_dir, train=TRAIN):
    for name, entries in (('train', train), ('val', VAL), ('test', TEST)):
        with open(osp.join(ann_dir, f'{name}_qa.json'), 'w',
                  encoding='utf-8') as file:
            json.dump(entries, file, ensure_ascii=False)


def load(path):
    with open(path, encoding='utf-8') as file:
        return json.load(file)


def test_convert_gives_exact_records_and_vocab(tmp_path):
    write_originals(str(tmp_path))
    out = tmp_path / 'out'
    counts = convert(str(tmp_path), str(out), vocab_size=3)
    assert counts == {'train': 7, 'val': 1, 'test': 2}
    for split, records in EXPECTED.items():
        content = load(out / f'{split}.json')
        assert content['data_list'] == records
        assert content['metainfo'] == dict(
            dataset_name='msrvtt_qa', split=split,
            source=[f'{split}_qa.json'], answer_vocab=VOCAB,
            task='qa_open', schema_version=1)


def test_command_line_writes_the_same_files(tmp_path):
    write_originals(str(tmp_path))
    convert(str(tmp_path), str(tmp_path / 'api'), vocab_size=3)
    result = subprocess.run([
        sys.executable, 'tools/data/msrvtt_qa/convert.py', '--ann-dir',
        str(tmp_path), '--out-dir', str(tmp_path / 'cli'), '--vocab-size', '3'
    ], cwd=REPO_ROOT, check=True, capture_output=True, text=True)
    assert 'train: 7 questions' in result.stdout
    for split in EXPECTED:
        assert load(tmp_path / 'cli' / f'{split}.json') == load(
            tmp_path / 'api' / f'{split}.json')


def test_missing_question_names_file_entry_and_field(tmp_path):
    broken = [dict(entry) for entry in TRAIN]
    del broken[1]['question']
    write_originals(str(tmp_path), broken)
    with pytest.raises(ConversionError,
                       match=r"train_qa\.json: entry 1 has no field "
                       r"'question'"):
        convert(str(tmp_path), str(tmp_path / 'out'))
    assert not (tmp_path / 'out').exists()


def test_non_integer_video_id_is_refused(tmp_path):
    broken = [dict(entry) for entry in TRAIN]
    broken[2]['video_id'] = 'video12'
    write_originals(str(tmp_path), broken)
    with pytest.raises(ConversionError, match=r"entry 2: field 'video_id'"):
        convert(str(tmp_path), str(tmp_path / 'out'))
