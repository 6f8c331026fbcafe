"""Tests of the DiDeMo paragraph-retrieval converter on fixtures in the
LocalizingMoments JSON format."""
import json

import pytest

from clover.datasets.converters.common import ConversionError
from clover.datasets.converters.didemo import convert

VIDEO_A = '10015567@N08_3655084291_d8b58466fa.mov'
VIDEO_B = '12090392@N02_13482799053_87ef417396.mp4'
VIDEO_C = '88037553@N00_5288392553_1f6d0a7f25.avi'


def moment(index, video, description):
    return dict(
        annotation_id=index, description=description, video=video,
        times=[[0, 0], [0, 1]], dl_link=f'https://flickr/{index}',
        num_segments=6)


TRAIN = [
    moment(0, VIDEO_A, 'a man walks in'),
    moment(1, VIDEO_B, 'the café sign appears '),
    moment(2, VIDEO_A, 'camera pans left'),
    moment(3, VIDEO_A, 'a man walks in'),  # repeated: kept, as CLIP4Clip
    moment(4, VIDEO_B, '   '),  # blank
    moment(5, VIDEO_C, ''),  # the only description of VIDEO_C
]
EXPECTED_TRAIN = [
    dict(video_id=VIDEO_A, video=VIDEO_A,
         captions=['a man walks in camera pans left a man walks in']),
    dict(video_id=VIDEO_B, video=VIDEO_B,
         captions=['the café sign appears']),
]


def write_json(path, entries):
    path.write_text(json.dumps(entries), encoding='utf-8')
    return path


def test_convert_joins_descriptions_in_file_order(tmp_path, load_output):
    paths = [
        write_json(tmp_path / f'{split}_data.json', entries)
        for split, entries in (('train', TRAIN), ('val', TRAIN[1:2]),
                               ('test', TRAIN[:1]))
    ]
    out = tmp_path / 'annotations'
    assert convert(str(out), *map(str, paths)) == dict(
        train=2, val=1, test=1)
    content = load_output(out / 'train.json')
    assert content['data_list'] == EXPECTED_TRAIN
    assert content['metainfo']['skipped'] == {
        'blank descriptions': 2, 'videos with only blank descriptions': 1}
    assert load_output(out / 'test.json')['data_list'] == [
        dict(video_id=VIDEO_A, video=VIDEO_A, captions=['a man walks in'])]
    assert load_output(out / 'val.json')['metainfo']['source'] == [
        'val_data.json']


def test_cli_transcoded_names_and_missing_videos(tmp_path, run_converter,
                                                 load_output):
    train = write_json(tmp_path / 'train_data.json', TRAIN)
    videos = tmp_path / 'videos'
    videos.mkdir()
    (videos / '10015567@N08_3655084291_d8b58466fa.mp4').write_bytes(b'')
    out = tmp_path / 'annotations'
    stdout = run_converter('didemo', '--train-json', train, '--video-pattern',
                           '{stem}.mp4', '--video-root', videos, '--out-dir',
                           out)
    assert stdout.splitlines()[-1] == f'DiDeMo: train 1 videos -> {out}'
    content = load_output(out / 'train.json')
    assert content['data_list'] == [
        dict(EXPECTED_TRAIN[0], video='10015567@N08_3655084291_d8b58466fa.mp4')
    ]
    assert content['metainfo']['skipped']['videos not downloaded'] == 1


def test_entry_without_description_names_file_entry_and_field(tmp_path):
    entries = [moment(0, VIDEO_A, 'fine'), dict(video=VIDEO_B, times=[])]
    bad = write_json(tmp_path / 'test_data.json', entries)
    with pytest.raises(ConversionError,
                       match=r"test_data\.json: entry 1 has no field "
                       r"'description'"):
        convert(str(tmp_path / 'out'), test_json=str(bad))
