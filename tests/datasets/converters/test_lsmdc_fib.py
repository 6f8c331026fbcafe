"""LSMDC fill-in-the-blank converter: the LSMDC 2016 challenge files ->
schema-v1 fill_in_blank files."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from clover.datasets.converters.common import ConversionError
from clover.datasets.converters.lsmdc_fib import convert

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))

JUMP = '3001_21_JUMP_STREET_00.03.07.077-00.03.07.559'
JUNO = '1004_Juno_00.00.32.849-00.00.35.458'
TIMES = ['00.03.07.077', '00.03.07.559', '00.03.06.318', '00.03.08.318']


def line(clip, sentence, fill_in, blank):
    return '\t'.join([clip] + TIMES + [sentence, fill_in, blank])


TRAIN = [
    # The release pads the blank with spaces; one clip has several blanks.
    line(JUMP, 'Looks at the door.', ' _____  at the door.', 'Looks'),
    line(JUMP, 'Looks at the door.', 'Looks at the  _____ .', 'door'),
    line(JUNO, 'SOMEONE looks at a door.', 'SOMEONE _____ at a door.',
         'looks'),
    line(JUNO, 'SOMEONE looks at a door.', 'SOMEONE looks at a _____ .',
         'door'),
    line(JUNO, 'He drops a gun in the café.',
         'He drops a _____ in the café.', 'gun'),
]
FILES = {
    'LSMDC16_annos_training_FIB.csv': TRAIN,
    'LSMDC16_annos_val_FIB.csv': [
        line(JUNO, 'She smiles.', 'She _____ .', 'smiles')
    ],
    'LSMDC16_annos_test_FIB.csv': [
        line(JUMP, 'A zebra runs.', 'A _____ runs.', 'Zebra')
    ],
}


def record(question_id, clip, movie, question, answer):
    return dict(question_id=question_id, video_id=clip,
                video=f'{movie}/{clip}.avi', question=question, answer=answer)


EXPECTED = {
    'train': [
        record(JUMP, JUMP, '3001_21_JUMP_STREET', '[MASK] at the door.',
               'looks'),
        record(f'{JUMP}#1', JUMP, '3001_21_JUMP_STREET',
               'Looks at the [MASK] .', 'door'),
        record(JUNO, JUNO, '1004_Juno', 'SOMEONE [MASK] at a door.', 'looks'),
        record(f'{JUNO}#1', JUNO, '1004_Juno', 'SOMEONE looks at a [MASK] .',
               'door'),
        record(f'{JUNO}#2', JUNO, '1004_Juno', 'He drops a [MASK] in the '
               'café.', 'gun'),
    ],
    'val': [record(JUNO, JUNO, '1004_Juno', 'She [MASK] .', 'smiles')],
    'test': [record(JUMP, JUMP, '3001_21_JUMP_STREET', 'A [MASK] runs.',
                    'zebra')],
}


def write_originals(ann_dir, files=FILES):
    for name, lines in files.items():
        with open(osp.join(ann_dir, name), 'w', encoding='utf-8') as file:
            file.write('\n'.join(lines) + '\n')


def load(path):
    with open(path, encoding='utf-8') as file:
        return json.load(file)


def test_convert_masks_blank_and_counts_lowercased_answers(tmp_path):
    write_originals(str(tmp_path))
    assert convert(str(tmp_path), str(tmp_path / 'out'), vocab_size=2) == {
        'train': 5, 'val': 1, 'test': 1}
    sources = {'train': 'LSMDC16_annos_training_FIB.csv',
               'val': 'LSMDC16_annos_val_FIB.csv',
               'test': 'LSMDC16_annos_test_FIB.csv'}
    for split, records in EXPECTED.items():
        content = load(tmp_path / 'out' / f'{split}.json')
        assert content['data_list'] == records
        # looks and door twice each once lower-cased; gun once.
        assert content['metainfo'] == dict(
            dataset_name='lsmdc_fib', split=split, source=[sources[split]],
            answer_vocab=['door', 'looks'], task='fill_in_blank',
            schema_version=1)


def test_command_line_keep_case(tmp_path):
    write_originals(str(tmp_path))
    subprocess.run([
        sys.executable, 'tools/data/lsmdc_fib/convert.py', '--ann-dir',
        str(tmp_path), '--out-dir', str(tmp_path / 'cli'), '--vocab-size',
        '2', '--keep-case'
    ], cwd=REPO_ROOT, check=True, capture_output=True)
    content = load(tmp_path / 'cli' / 'train.json')
    # Case kept: door (2) first, then the 1-count tie Looks < gun < looks.
    assert content['metainfo']['answer_vocab'] == ['door', 'Looks']
    assert [r['answer'] for r in content['data_list']] == [
        'Looks', 'door', 'looks', 'door', 'gun']
    test = load(tmp_path / 'cli' / 'test.json')['data_list']
    assert test[0]['answer'] == 'Zebra'


@pytest.mark.parametrize('fill_in, found', [
    ('SOMEONE _____ at a _____ .', '2 blanks'),
    ('SOMEONE looks at a door.', '0 blanks'),
    ('SOMEONE _____ at a [MASK] .', r'a literal \[MASK\]'),
])
def test_bad_blank_count_names_file_line_and_field(tmp_path, fill_in, found):
    files = dict(FILES)
    files['LSMDC16_annos_val_FIB.csv'] = [
        line(JUNO, 'She smiles.', 'She _____ .', 'smiles'),
        line(JUNO, 'SOMEONE looks at a door.', fill_in, 'looks')
    ]
    write_originals(str(tmp_path), files)
    with pytest.raises(ConversionError,
                       match=r"LSMDC16_annos_val_FIB\.csv: line 2: field "
                       rf"'fill_in' must contain exactly one blank .*{found}"):
        convert(str(tmp_path), str(tmp_path / 'out'))
