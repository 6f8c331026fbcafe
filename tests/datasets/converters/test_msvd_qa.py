"""MSVD-QA converter: original JSON files + youtube_mapping.txt ->
schema-v1 qa_open files."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from clover.datasets.converters.common import ConversionError
from clover.datasets.converters.msvd_qa import convert

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))

# '<YouTube clip> vid<N>' lines, not in N order, with a blank line.
MAPPING = ('-4wsuPCjDBc_5_15 vid1\nzv2RIbUsnSw_159_165 vid3\n\n'
           'Jü_9Hr7kR5o_0_10 vid2\n')
TRAIN = [
    dict(answer='guitar', id=0, question='what is a man playing?',
         video_id=1),
    dict(answer='man', id=1, question='who plays a guitar?', video_id=1),
    dict(answer='guitar', id=2, question='what is played?', video_id=3),
    dict(answer='man', id=3, question='who slices?', video_id=3),
    dict(answer='onion', id=4, question='what is sliced?', video_id=2),
]
VAL = [dict(answer='onion', id=5, question='what is cut?', video_id=2)]
TEST = [dict(answer='piano', id=6, question='what is a woman playing?',
             video_id=3)]
# guitar and man tie at 2 (kept, by string), onion (1) falls out of a 2-slot
# vocabulary.
VOCAB = ['guitar', 'man']
VIDEOS = {1: '-4wsuPCjDBc_5_15.avi', 2: 'Jü_9Hr7kR5o_0_10.avi',
          3: 'zv2RIbUsnSw_159_165.avi'}


def expected(entries):
    return [
        dict(question_id=str(entry['id']), video_id=f'vid{entry["video_id"]}',
             video=VIDEOS[entry['video_id']], question=entry['question'],
             answer=entry['answer'],
             question_type=entry['question'].split()[0])
        for entry in entries
    ]


def write_originals(ann_dir, train=TRAIN, mapping=MAPPING):
    for name, entries in (('train', train), ('val', VAL), ('test', TEST)):
        with open(osp.join(ann_dir, f'{name}_qa.json'), 'w',
                  encoding='utf-8') as file:
            json.dump(entries, file)
    with open(osp.join(ann_dir, 'youtube_mapping.txt'), 'w',
              encoding='utf-8') as file:
        file.write(mapping)


def load(path):
    with open(path, encoding='utf-8') as file:
        return json.load(file)


def test_convert_maps_video_numbers_to_youtube_clips(tmp_path):
    write_originals(str(tmp_path))
    counts = convert(str(tmp_path), str(tmp_path / 'out'), vocab_size=2)
    assert counts == {'train': 5, 'val': 1, 'test': 1}
    for split, entries in (('train', TRAIN), ('val', VAL), ('test', TEST)):
        content = load(tmp_path / 'out' / f'{split}.json')
        assert content['data_list'] == expected(entries)
        assert content['metainfo'] == dict(
            dataset_name='msvd_qa', split=split,
            source=[f'{split}_qa.json', 'youtube_mapping.txt'],
            answer_vocab=VOCAB, task='qa_open', schema_version=1)


def test_command_line_with_explicit_mapping_file(tmp_path):
    write_originals(str(tmp_path))
    convert(str(tmp_path), str(tmp_path / 'api'), vocab_size=2)
    subprocess.run([
        sys.executable, 'tools/data/msvd_qa/convert.py', '--ann-dir',
        str(tmp_path), '--mapping-file',
        str(tmp_path / 'youtube_mapping.txt'), '--out-dir',
        str(tmp_path / 'cli'), '--vocab-size', '2'
    ], cwd=REPO_ROOT, check=True, capture_output=True)
    for split in ('train', 'val', 'test'):
        assert load(tmp_path / 'cli' / f'{split}.json') == load(
            tmp_path / 'api' / f'{split}.json')


def test_unmapped_video_names_file_entry_and_field(tmp_path):
    broken = [dict(entry) for entry in TRAIN]
    broken[4]['video_id'] = 4
    write_originals(str(tmp_path), broken)
    with pytest.raises(ConversionError,
                       match=r"train_qa\.json: entry 4: field 'video_id' is "
                       r'4, but vid4 is not in .*youtube_mapping\.txt'):
        convert(str(tmp_path), str(tmp_path / 'out'))


def test_malformed_mapping_line_is_named(tmp_path):
    write_originals(str(tmp_path), mapping=MAPPING + 'a b vid9\n')
    with pytest.raises(ConversionError,
                       match=r'youtube_mapping\.txt: line 5 must be'):
        convert(str(tmp_path), str(tmp_path / 'out'))
