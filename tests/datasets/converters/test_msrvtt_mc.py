"""MSRVTT multiple-choice converter: JSFusion's MSR_MC_test.csv and
ClipBERT's msrvtt_mc_test.jsonl -> the same schema-v1 test file."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from clover.datasets.converters.common import ConversionError
from clover.datasets.converters.msrvtt_mc import convert

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))

QUESTIONS = [
    ('MC1', 7010, ['a man cooks', '"look" says a girl', 'a dog runs',
                   'a café opens', 'cars race'], 1),
    ('MC2', 9, ['a', 'b', 'c', 'd', 'e'], 4),
]
EXPECTED = [
    dict(question_id=qid, video_id=f'video{number}',
         video=f'video{number}.mp4', question='', candidates=options,
         answer_index=answer) for qid, number, options, answer in QUESTIONS
]


def write_jsfusion(path, answers=None):
    # Column order differs from the lineage's listing: read by name.
    lines = ['answer\tkey\tvid_key\ta1\ta2\ta3\ta4\ta5']
    for (qid, number, options, answer), written in zip(
            QUESTIONS, answers or [q[3] for q in QUESTIONS]):
        lines.append('\t'.join([str(written), qid, f'msr{number}'] + options))
    with open(path, 'w', encoding='utf-8') as file:
        file.write('\n'.join(lines) + '\n')


def write_clipbert(path, questions=QUESTIONS):
    with open(path, 'w', encoding='utf-8') as file:
        for qid, number, options, answer in questions:
            file.write(json.dumps(dict(qid=qid, clip_name=f'video{number}',
                                       options=options, answer=answer)) +
                       '\n\n')


def load(path):
    with open(path, encoding='utf-8') as file:
        return json.load(file)


@pytest.mark.parametrize('name', ['MSR_MC_test.csv', 'msrvtt_mc_test.jsonl'])
def test_both_forms_give_the_same_records(tmp_path, name):
    path = str(tmp_path / name)
    (write_jsfusion if name.endswith('.csv') else write_clipbert)(path)
    assert convert(path, str(tmp_path / 'out')) == {'test': 2}
    content = load(tmp_path / 'out' / 'test.json')
    assert content['data_list'] == EXPECTED
    assert content['metainfo'] == dict(
        dataset_name='msrvtt_mc', split='test', source=[name],
        task='multiple_choice', schema_version=1)


def test_command_line(tmp_path):
    write_jsfusion(str(tmp_path / 'MSR_MC_test.csv'))
    result = subprocess.run([
        sys.executable, 'tools/data/msrvtt_mc/convert.py', '--mc-file',
        str(tmp_path / 'MSR_MC_test.csv'), '--out-dir', str(tmp_path / 'cli'),
        '--video-ext', '.webm'
    ], cwd=REPO_ROOT, check=True, capture_output=True, text=True)
    assert 'test: 2 questions' in result.stdout
    records = load(tmp_path / 'cli' / 'test.json')['data_list']
    assert [r['video'] for r in records] == ['video7010.webm', 'video9.webm']


def test_malformed_inputs_are_named(tmp_path):
    path = str(tmp_path / 'msrvtt_mc_test.jsonl')
    write_clipbert(path, [QUESTIONS[0], ('MC2', 9, ['a', 'b', 'c', 'd'], 0)])
    with pytest.raises(ConversionError,
                       match=r"msrvtt_mc_test\.jsonl: entry 1: field "
                       r"'options' must be a list of 5"):
        convert(path, str(tmp_path / 'out'))
    path = str(tmp_path / 'MSR_MC_test.csv')
    write_jsfusion(path, answers=[1, 5])
    with pytest.raises(ConversionError,
                       match=r"MSR_MC_test\.csv: line 3: field 'answer' is "
                       r'5, outside'):
        convert(path, str(tmp_path / 'out'))
