"""Tests of the WebVid-2M converter on CSV fixtures in the original format."""
import pytest

from clover.datasets.converters.common import ConversionError
from clover.datasets.converters.webvid import convert

HEADER = 'videoid,contentUrl,duration,page_dir,name\n'
TRAIN_ROWS = [
    # A caption with a comma (quoted) and one with quotes and non-ASCII.
    '1001,https://x/1001.mp4,PT00H00M10S,000001_000050,"Aerial view, city"\n',
    '1002,https://x/1002.mp4,PT00H00M08S,000001_000050,'
    '"Woman says ""hello"" at a café ✨ "\n',
    '1003,https://x/1003.mp4,PT00H00M05S,000001_000050,"   "\n',  # blank
    '1001,https://x/1001.mp4,PT00H00M10S,000001_000050,Repeated id\n',
    '1004,https://x/1004.mp4,PT00H00M07S,,No page dir\n',
    '2001,https://x/2001.mp4,PT00H00M20S,000051_000100,Snow falls\n',
]


def write_csv(path, rows, header=HEADER):
    path.write_text(header + ''.join(rows), encoding='utf-8')
    return path


def record(video_id, page_dir, caption):
    return dict(
        video_id=video_id,
        video=f'{page_dir}/{video_id}.mp4',
        captions=[caption])


EXPECTED_TRAIN = [
    record('1001', '000001_000050', 'Aerial view, city'),
    record('1002', '000001_000050', 'Woman says "hello" at a café ✨'),
    record('2001', '000051_000100', 'Snow falls'),
]


def test_convert_keeps_valid_rows_in_order(tmp_path, load_output):
    train = write_csv(tmp_path / 'results_2M_train.csv', TRAIN_ROWS)
    val = write_csv(tmp_path / 'results_2M_val.csv',
                    ['7,https://x/7.mp4,PT1S,000001_000050,A dog runs\n'])
    out = tmp_path / 'annotations'
    assert convert(str(out), str(train), str(val)) == dict(train=3, val=1)
    content = load_output(out / 'train.json')
    assert content['data_list'] == EXPECTED_TRAIN
    assert content['metainfo'] == dict(
        dataset_name='webvid', split='train', task='retrieval',
        schema_version=1, source=['results_2M_train.csv'],
        skipped={'repeating a videoid': 1, 'with a blank caption': 1,
                 'without videoid or page_dir': 1})
    assert load_output(out / 'val.json')['data_list'] == [
        record('7', '000001_000050', 'A dog runs')]


def test_cli_keeps_only_downloaded_videos(tmp_path, run_converter,
                                          load_output):
    train = write_csv(tmp_path / 'results_2M_train.csv', TRAIN_ROWS)
    videos = tmp_path / 'videos'
    for item in EXPECTED_TRAIN[:2]:  # 2001 was not downloaded
        (videos / item['video']).parent.mkdir(parents=True, exist_ok=True)
        (videos / item['video']).write_bytes(b'')
    out = tmp_path / 'annotations'
    stdout = run_converter('webvid', '--train-csv', train, '--video-root',
                           videos, '--out-dir', out)
    assert stdout.splitlines()[-1] == f'WebVid: train 2 videos -> {out}'
    assert 'left out 4 entries (1 not downloaded, 1 repeating' in stdout
    content = load_output(out / 'train.json')
    assert content['data_list'] == EXPECTED_TRAIN[:2]
    assert content['metainfo']['skipped']['not downloaded'] == 1
    assert not (out / 'val.json').exists()


def test_missing_caption_column_names_file_and_field(tmp_path):
    bad = write_csv(tmp_path / 'results_2M_train.csv', TRAIN_ROWS[:1],
                    header='videoid,contentUrl,duration,page_dir,caption\n')
    with pytest.raises(ConversionError, match=r"results_2M_train\.csv: the "
                       r"header has no column 'name'"):
        convert(str(tmp_path / 'out'), str(bad))


def test_row_with_extra_column_names_its_line(tmp_path):
    bad = write_csv(tmp_path / 'results_2M_train.csv',
                    [TRAIN_ROWS[0], '9,u,PT1S,000001_000050,a,b\n'])
    with pytest.raises(ConversionError, match=r'csv: line 3 has more columns'):
        convert(str(tmp_path / 'out'), str(bad))
