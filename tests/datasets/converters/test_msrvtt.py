"""Tests of the MSR-VTT 1k-A converter on fixtures in the original formats
(videodatainfo JSON files, JSFusion split CSVs)."""
import json

import pytest

from clover.datasets.converters.common import ConversionError
from clover.datasets.converters.msrvtt import convert


def sentence(sen_id, video_id, caption):
    return dict(caption=caption, video_id=video_id, sen_id=sen_id)


TRAIN_VAL = dict(
    info=dict(year='2016'),
    videos=[
        dict(video_id=f'video{i}', split='train', id=i) for i in (0, 1, 2)
    ],
    sentences=[
        sentence(0, 'video1', 'a man drives a car'),
        sentence(1, 'video0', 'a cartoon dog, running'),
        sentence(2, 'video1', '  a car on a road  '),
        sentence(3, 'video0', ' '),  # blank
        sentence(4, 'video2', 'a cooking show'),
    ])
TEST = dict(
    info=dict(year='2016'),
    videos=[dict(video_id=f'video{i}', split='test', id=i)
            for i in (7010, 7011)],
    sentences=[
        sentence(140200, 'video7010', 'people dance in a café'),
        sentence(140201, 'video7011', 'a woman sings'),
    ])
TRAIN_CSV = 'video_id\nvideo1\nvideo0\nvideo7010\n'
TEST_CSV = ('key,vid_key,video_id,sentence\n'
            'ret0,msr7011,video7011,"a woman, singing ""live"""\n'
            'ret1,msr2,video2,über cool cooking\n')
EXPECTED = dict(
    train_9k=[
        dict(video_id='video1', video='video1.mp4',
             captions=['a man drives a car', 'a car on a road']),
        dict(video_id='video0', video='video0.mp4',
             captions=['a cartoon dog, running']),
        dict(video_id='video7010', video='video7010.mp4',
             captions=['people dance in a café']),
    ],
    test_1k=[
        dict(video_id='video7011', video='video7011.mp4',
             captions=['a woman, singing "live"']),
        dict(video_id='video2', video='video2.mp4',
             captions=['über cool cooking']),
    ])


@pytest.fixture
def originals(tmp_path):
    files = dict(
        train_val=tmp_path / 'train_val_videodatainfo.json',
        test=tmp_path / 'test_videodatainfo.json',
        train_csv=tmp_path / 'MSRVTT_train.9k.csv',
        test_csv=tmp_path / 'MSRVTT_JSFUSION_test.csv')
    files['train_val'].write_text(json.dumps(TRAIN_VAL), encoding='utf-8')
    files['test'].write_text(json.dumps(TEST), encoding='utf-8')
    files['train_csv'].write_text(TRAIN_CSV)
    files['test_csv'].write_text(TEST_CSV, encoding='utf-8')
    return files


def test_convert_with_merged_caption_file_too(originals, tmp_path,
                                              load_output):
    # CLIP4Clip's MSRVTT_data.json repeats both files' sentences: each
    # sen_id is read once.
    merged = tmp_path / 'MSRVTT_data.json'
    merged.write_text(json.dumps(dict(
        videos=[], sentences=TRAIN_VAL['sentences'] + TEST['sentences'])))
    out = tmp_path / 'annotations'
    counts = convert([str(originals['train_val']), str(originals['test']),
                      str(merged)], str(originals['train_csv']),
                     str(originals['test_csv']), str(out))
    assert counts == dict(train_9k=3, test_1k=2)
    for name, records in EXPECTED.items():
        content = load_output(out / f'{name}.json')
        assert content['data_list'] == records
    train_meta = load_output(out / 'train_9k.json')['metainfo']
    assert train_meta['split'] == 'train'
    assert train_meta['source'] == [
        'train_val_videodatainfo.json', 'test_videodatainfo.json',
        'MSRVTT_data.json', 'MSRVTT_train.9k.csv']
    assert train_meta['skipped'] == {'blank captions': 1}


def test_cli(originals, tmp_path, run_converter, load_output):
    out = tmp_path / 'annotations'
    stdout = run_converter('msrvtt', '--captions', originals['train_val'],
                           originals['test'], '--train-csv',
                           originals['train_csv'], '--test-csv',
                           originals['test_csv'], '--out-dir', out)
    assert stdout.splitlines()[-1] == (
        f'MSR-VTT: train_9k 3, test_1k 2 videos -> {out}')
    for name, records in EXPECTED.items():
        assert load_output(out / f'{name}.json')['data_list'] == records


def test_train_video_without_captions_asks_for_the_test_file(
        originals, tmp_path):
    with pytest.raises(ConversionError,
                       match=r"train\.9k\.csv: line 4: field 'video_id' "
                       r"'video7010' has no caption .*test_videodatainfo"):
        convert([str(originals['train_val'])], str(originals['train_csv']),
                str(originals['test_csv']), str(tmp_path / 'out'))


def test_sentence_without_caption_names_file_entry_and_field(
        originals, tmp_path):
    broken = dict(TEST, sentences=[dict(video_id='video7010', sen_id=9)])
    originals['test'].write_text(json.dumps(broken))
    with pytest.raises(ConversionError,
                       match=r"test_videodatainfo\.json: sentences\[0\] has "
                       r"no field 'caption'"):
        convert([str(originals['train_val']), str(originals['test'])],
                str(originals['train_csv']), str(originals['test_csv']),
                str(tmp_path / 'out'))


def test_duplicate_test_video_names_both_lines(originals, tmp_path):
    originals['test_csv'].write_text(TEST_CSV + 'ret2,msr2,video2,again\n')
    with pytest.raises(ConversionError,
                       match=r"JSFUSION_test\.csv: lines 3 and 4 have the "
                       r"same field 'video_id' 'video2'"):
        convert([str(originals['train_val']), str(originals['test'])],
                str(originals['train_csv']), str(originals['test_csv']),
                str(tmp_path / 'out'))
