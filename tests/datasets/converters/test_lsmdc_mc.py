"""LSMDC multiple-choice converter: the LSMDC 2016 challenge files ->
schema-v1 multiple_choice files."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from clover.datasets.converters.common import ConversionError
from clover.datasets.converters.lsmdc_mc import convert

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))

JUMP = '3001_21_JUMP_STREET_00.03.07.077-00.03.07.559'
JUNO = '1004_Juno_00.00.32.849-00.00.35.458'
TIMES = ['00.03.07.077', '00.03.07.559', '00.03.06.318', '00.03.08.318']
SENTENCES = ['SOMEONE runs.', '"Stop," SOMEONE says.', 'He drinks café.',
             'She waves.', 'They sit.']


def line(clip, sentences, *extra):
    return '\t'.join([clip] + TIMES + sentences + list(extra))


FILES = {
    # The same clip twice: the repeat's question id gets '#1'.
    'LSMDC16_multiple_choice_train.csv': [
        line(JUMP, SENTENCES), line(JUNO, SENTENCES[::-1]),
        line(JUMP, SENTENCES[1:] + SENTENCES[:1])
    ],
    'LSMDC16_multiple_choice_valid.csv': [line(JUNO, SENTENCES)],
    'LSMDC16_multiple_choice_test_randomized.csv': [
        line(JUNO, SENTENCES, '5'), '', line(JUMP, SENTENCES, '1')
    ],
}


def record(question_id, clip, movie, sentences, answer_index):
    return dict(question_id=question_id, video_id=clip,
                video=f'{movie}/{clip}.avi', question='',
                candidates=sentences, answer_index=answer_index)


EXPECTED = {
    'train': [
        record(JUMP, JUMP, '3001_21_JUMP_STREET', SENTENCES, 0),
        record(JUNO, JUNO, '1004_Juno', SENTENCES[::-1], 0),
        record(f'{JUMP}#1', JUMP, '3001_21_JUMP_STREET',
               SENTENCES[1:] + SENTENCES[:1], 0),
    ],
    'val': [record(JUNO, JUNO, '1004_Juno', SENTENCES, 0)],
    # The public test's index is 1-based.
    'test': [
        record(JUNO, JUNO, '1004_Juno', SENTENCES, 4),
        record(JUMP, JUMP, '3001_21_JUMP_STREET', SENTENCES, 0),
    ],
}
SOURCES = {
    'train': 'LSMDC16_multiple_choice_train.csv',
    'val': 'LSMDC16_multiple_choice_valid.csv',
    'test': 'LSMDC16_multiple_choice_test_randomized.csv'
}


def write_originals(ann_dir, files=FILES):
    for name, lines in files.items():
        with open(osp.join(ann_dir, name), 'w', encoding='utf-8') as file:
            file.write('\n'.join(lines) + '\n')


def load(path):
    with open(path, encoding='utf-8') as file:
        return json.load(file)


def test_convert_gives_exact_records(tmp_path):
    write_originals(str(tmp_path))
    assert convert(str(tmp_path), str(tmp_path / 'out')) == {
        'train': 3, 'val': 1, 'test': 2}
    for split, records in EXPECTED.items():
        content = load(tmp_path / 'out' / f'{split}.json')
        assert content['data_list'] == records
        assert content['metainfo'] == dict(
            dataset_name='lsmdc_mc', split=split, source=[SOURCES[split]],
            task='multiple_choice', schema_version=1)


def test_command_line_flat_layout(tmp_path):
    write_originals(str(tmp_path))
    subprocess.run([
        sys.executable, 'tools/data/lsmdc_mc/convert.py', '--ann-dir',
        str(tmp_path), '--out-dir', str(tmp_path / 'cli'), '--flat',
        '--video-ext', '.mp4'
    ], cwd=REPO_ROOT, check=True, capture_output=True)
    records = load(tmp_path / 'cli' / 'test.json')['data_list']
    assert [r['video'] for r in records] == [f'{JUNO}.mp4', f'{JUMP}.mp4']


def test_malformed_test_lines_are_named(tmp_path):
    files = dict(FILES)
    # The answer column is missing.
    files['LSMDC16_multiple_choice_test_randomized.csv'] = [
        line(JUNO, SENTENCES)
    ]
    write_originals(str(tmp_path), files)
    with pytest.raises(ConversionError,
                       match=r'test_randomized\.csv: line 1 has 10 '
                       r'tab-separated columns, expected 11'):
        convert(str(tmp_path), str(tmp_path / 'out'))
    files['LSMDC16_multiple_choice_test_randomized.csv'] = [
        line(JUNO, SENTENCES, '0')
    ]
    write_originals(str(tmp_path), files)
    with pytest.raises(ConversionError,
                       match=r"line 1: field 'answer_index' is 0, outside "
                       r'\[1, 5\]'):
        convert(str(tmp_path), str(tmp_path / 'out'))
