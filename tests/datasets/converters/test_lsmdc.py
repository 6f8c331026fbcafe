"""Tests of the LSMDC retrieval converter on tab-separated fixtures in the
LSMDC 2016 format."""
import pytest

from clover.datasets.converters.common import ConversionError
from clover.datasets.converters.lsmdc import convert

CLIP_1 = '0001_American_Beauty_00.00.51.926-00.00.54.129'
CLIP_2 = '0001_American_Beauty_00.01.02.000-00.01.05.310'
CLIP_3 = '1004_Juno_00.00.32.646-00.00.34.111'
TIMES = '00.00.51.926\t00.00.54.129\t00.00.51.000\t00.00.55.000'


def line(clip, sentence):
    return f'{clip}\t{TIMES}\t{sentence}\n'


TRAIN_LINES = [
    line(CLIP_1, 'SOMEONE looks at "the" house.'),  # a quote, not quoting
    line(CLIP_2, 'He smiles.'),
    line(CLIP_1, '  SOMEONE nods, then walks off — slowly.  '),
    line(CLIP_3, ' '),  # the only sentence of CLIP_3, blank
]
EXPECTED_TRAIN = [
    dict(video_id=CLIP_1, video=f'0001_American_Beauty/{CLIP_1}.avi',
         captions=['SOMEONE looks at "the" house.',
                   'SOMEONE nods, then walks off — slowly.']),
    dict(video_id=CLIP_2, video=f'0001_American_Beauty/{CLIP_2}.avi',
         captions=['He smiles.']),
]


def write_lines(path, lines):
    path.write_text(''.join(lines), encoding='utf-8')
    return path


def test_convert_groups_sentences_per_clip(tmp_path, load_output):
    train = write_lines(tmp_path / 'LSMDC16_annos_training.csv', TRAIN_LINES)
    # A file with a header line, then one sentence per clip.
    test = write_lines(
        tmp_path / 'LSMDC16_challenge_1000_publictect.csv',
        ['clip\tstart_aligned\tend_aligned\tstart\tend\tsentence\n',
         line(CLIP_3, 'Juno drinks.'), line(CLIP_2, 'He smiles.')])
    out = tmp_path / 'annotations'
    assert convert(str(out), train_csv=str(train),
                   test_csv=str(test)) == dict(train=2, test=2)
    content = load_output(out / 'train.json')
    assert content['data_list'] == EXPECTED_TRAIN
    assert content['metainfo']['skipped'] == {
        'blank sentences': 1, 'clips with only blank sentences': 1}
    assert load_output(out / 'test.json')['data_list'] == [
        dict(video_id=CLIP_3, video=f'1004_Juno/{CLIP_3}.avi',
             captions=['Juno drinks.']),
        EXPECTED_TRAIN[1],
    ]


def test_cli(tmp_path, run_converter, load_output):
    val = write_lines(tmp_path / 'LSMDC16_annos_val.csv', TRAIN_LINES[:2])
    out = tmp_path / 'annotations'
    stdout = run_converter('lsmdc', '--val-csv', val, '--video-ext', '.mp4',
                           '--out-dir', out)
    assert stdout.splitlines()[-1] == f'LSMDC: val 2 clips -> {out}'
    assert load_output(out / 'val.json')['data_list'] == [
        dict(video_id=CLIP_1, video=f'0001_American_Beauty/{CLIP_1}.mp4',
             captions=['SOMEONE looks at "the" house.']),
        dict(EXPECTED_TRAIN[1], video=f'0001_American_Beauty/{CLIP_2}.mp4'),
    ]


def test_line_missing_a_field_names_file_and_line(tmp_path):
    bad = write_lines(tmp_path / 'LSMDC16_annos_val.csv',
                      [TRAIN_LINES[0], f'{CLIP_2}\t00.01.02\tHe smiles.\n'])
    with pytest.raises(ConversionError,
                       match=r'LSMDC16_annos_val\.csv: line 2 has 3 '
                       'tab-separated fields, expected 6'):
        convert(str(tmp_path / 'out'), val_csv=str(bad))


def test_clip_id_without_movie_names_the_field(tmp_path):
    bad = write_lines(tmp_path / 'LSMDC16_annos_val.csv',
                      [line('00.00.51.926-00.00.54.129', 'x')])
    with pytest.raises(ConversionError,
                       match=r"annos_val\.csv: line 1: field 'clip id'"):
        convert(str(tmp_path / 'out'), val_csv=str(bad))
