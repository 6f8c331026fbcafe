"""TGIF-QA converter: original tab-separated files -> schema-v1 files."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from clover.datasets.converters.common import ConversionError
from clover.datasets.converters.tgif_qa import convert

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))

MC_HEADER = 'gif_name\tquestion\ta1\ta2\ta3\ta4\ta5\tanswer\tvid_id\tkey'
FRAMEQA_HEADER = 'gif_name\tquestion\tanswer\ttype\tvid_id\tkey\tdescription'
FILES = {
    'Train_action_question.csv': [
        MC_HEADER,
        'tumblr_a\tWhat does the man do 3 times ?\tnod\tclap\t"hey" wave\t'
        'jump\tspin\t2\tACTION1\t5',
        # The same question id twice: the repeat becomes ACTION1#1.
        'tumblr_b\tWhat does the café owner do 2 times ?\tnod\tclap\twave\t'
        'jump\tspin\t0\tACTION1\t7',
    ],
    'Test_action_question.csv': [
        MC_HEADER,
        'tumblr_c\tWhat does the cat do 4 times ?\ta\tb\tc\td\te\t4\t'
        'ACTION9\t8',
    ],
    'Train_transition_question.csv': [
        MC_HEADER,
        'tumblr_a\tWhat does the man do after nodding ?\tsit\tstand\tlie\t'
        'run\tsing\t1\tTRANS4\t5',
    ],
    'Test_transition_question.csv': [
        MC_HEADER,
        'tumblr_d\tWhat does the dog do before jumping ?\tsit\tstand\tlie\t'
        'run\tsing\t3\tTRANS8\t9',
    ],
    'Train_frameqa_question.csv': [
        FRAMEQA_HEADER,
        'tumblr_a\thow many men dance ?\ttwo\t1\tFRAMEQA1\t5\ttwo men dance .',
        'tumblr_b\twhat sits on a sofa ?\tcat\t0\tFRAMEQA2\t7\ta cat sits .',
        'tumblr_b\twhat is the color of the sofa ?\tred\t2\tFRAMEQA3\t7\ta '
        'red sofa .',
        'tumblr_c\twhat jumps ?\tcat\t0\tFRAMEQA4\t8\ta cat jumps .',
        'tumblr_d\thow many cats jump ?\ttwo\t1\tFRAMEQA5\t9\ttwo cats .',
        'tumblr_d\twhere do cats jump ?\tgarden\t3\tFRAMEQA6\t9\tcats jump in '
        'a garden .',
    ],
    'Test_frameqa_question.csv': [
        FRAMEQA_HEADER,
        'tumblr_e\twhat is the color of the zebra ?\tstriped\t2\tFRAMEQA7\t1'
        '\ta striped zebra .',
    ],
}
# cat and two are given twice (tie broken by the string), red and garden once.
VOCAB = ['cat', 'two']


def mc(question_id, gif, question, candidates, answer_index):
    return dict(question_id=question_id, video_id=gif, video=f'{gif}.mp4',
                question=question, candidates=candidates,
                answer_index=answer_index)


def oe(question_id, gif, question, answer, question_type):
    return dict(question_id=question_id, video_id=gif, video=f'{gif}.mp4',
                question=question, answer=answer,
                question_type=question_type)


EXPECTED = {
    'action_train': [
        mc('ACTION1', 'tumblr_a', 'What does the man do 3 times ?',
           ['nod', 'clap', '"hey" wave', 'jump', 'spin'], 2),
        mc('ACTION1#1', 'tumblr_b', 'What does the café owner do 2 times ?',
           ['nod', 'clap', 'wave', 'jump', 'spin'], 0),
    ],
    'action_test': [
        mc('ACTION9', 'tumblr_c', 'What does the cat do 4 times ?',
           ['a', 'b', 'c', 'd', 'e'], 4)
    ],
    'transition_train': [
        mc('TRANS4', 'tumblr_a', 'What does the man do after nodding ?',
           ['sit', 'stand', 'lie', 'run', 'sing'], 1)
    ],
    'transition_test': [
        mc('TRANS8', 'tumblr_d', 'What does the dog do before jumping ?',
           ['sit', 'stand', 'lie', 'run', 'sing'], 3)
    ],
    'frameqa_train': [
        oe('FRAMEQA1', 'tumblr_a', 'how many men dance ?', 'two', 'number'),
        oe('FRAMEQA2', 'tumblr_b', 'what sits on a sofa ?', 'cat', 'object'),
        oe('FRAMEQA3', 'tumblr_b', 'what is the color of the sofa ?', 'red',
           'color'),
        oe('FRAMEQA4', 'tumblr_c', 'what jumps ?', 'cat', 'object'),
        oe('FRAMEQA5', 'tumblr_d', 'how many cats jump ?', 'two', 'number'),
        oe('FRAMEQA6', 'tumblr_d', 'where do cats jump ?', 'garden',
           'location'),
    ],
    'frameqa_test': [
        oe('FRAMEQA7', 'tumblr_e', 'what is the color of the zebra ?',
           'striped', 'color')
    ],
}


def write_originals(ann_dir, files=FILES):
    for name, lines in files.items():
        with open(osp.join(ann_dir, name), 'w', encoding='utf-8') as file:
            file.write('\n'.join(lines) + '\n')


def load(path):
    with open(path, encoding='utf-8') as file:
        return json.load(file)


def test_convert_gives_exact_records_and_vocab(tmp_path):
    write_originals(str(tmp_path))
    counts = convert(str(tmp_path), str(tmp_path / 'out'), vocab_size=2,
                     video_ext='.mp4')
    assert counts == {name: len(records)
                      for name, records in EXPECTED.items()}
    for name, records in EXPECTED.items():
        task, split = name.split('_')
        content = load(tmp_path / 'out' / f'{name}.json')
        assert content['data_list'] == records
        metainfo = dict(
            dataset_name=f'tgif_{task}', split=split,
            source=[f'{split.capitalize()}_{task}_question.csv'],
            task='qa_open' if task == 'frameqa' else 'multiple_choice',
            schema_version=1)
        if task == 'frameqa':
            metainfo['answer_vocab'] = VOCAB
        assert content['metainfo'] == metainfo


def test_command_line_converts_chosen_tasks(tmp_path):
    write_originals(str(tmp_path))
    convert(str(tmp_path), str(tmp_path / 'api'), vocab_size=2)
    result = subprocess.run([
        sys.executable, 'tools/data/tgif_qa/convert.py', '--ann-dir',
        str(tmp_path), '--out-dir', str(tmp_path / 'cli'), '--tasks',
        'frameqa', 'action', '--vocab-size', '2'
    ], cwd=REPO_ROOT, check=True, capture_output=True, text=True)
    assert 'frameqa_train: 6 questions' in result.stdout
    assert sorted(p.name for p in (tmp_path / 'cli').iterdir()) == [
        'action_test.json', 'action_train.json', 'frameqa_test.json',
        'frameqa_train.json'
    ]
    for path in (tmp_path / 'cli').iterdir():
        content = load(path)
        assert content == load(tmp_path / 'api' / path.name)
        assert all(record['video'].endswith('.gif')
                   for record in content['data_list'])


def test_answer_index_out_of_range_names_file_line_and_field(tmp_path):
    files = dict(FILES)
    files['Test_action_question.csv'] = [
        MC_HEADER, 'tumblr_c\tq ?\ta\tb\tc\td\te\t5\tACTION9\t8'
    ]
    write_originals(str(tmp_path), files)
    with pytest.raises(ConversionError,
                       match=r"Test_action_question\.csv: line 2: field "
                       r"'answer' is 5, outside \[0, 4\]"):
        convert(str(tmp_path), str(tmp_path / 'out'), tasks=['action'])


def test_missing_column_and_unknown_type_are_named(tmp_path):
    files = dict(FILES)
    files['Train_frameqa_question.csv'] = [
        FRAMEQA_HEADER.replace('\ttype', ''),
        'tumblr_a\tq ?\ttwo\tFRAMEQA1\t5\td .'
    ]
    write_originals(str(tmp_path), files)
    with pytest.raises(ConversionError,
                       match=r"Train_frameqa_question\.csv: line 2 has no "
                       r"field 'type'"):
        convert(str(tmp_path), str(tmp_path / 'out'), tasks=['frameqa'])
    files['Train_frameqa_question.csv'] = [
        FRAMEQA_HEADER, 'tumblr_a\tq ?\ttwo\t7\tFRAMEQA1\t5\td .'
    ]
    write_originals(str(tmp_path), files)
    with pytest.raises(ConversionError, match=r"line 2: field 'type'"):
        convert(str(tmp_path), str(tmp_path / 'out'), tasks=['frameqa'])
