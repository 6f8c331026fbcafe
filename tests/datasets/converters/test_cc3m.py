"""Tests of the CC3M converter on headerless TSV fixtures and the two image
layouts (img2dataset ``files`` shards, one file per row)."""
import json

import pytest

from clover.datasets.converters.cc3m import convert
from clover.datasets.converters.common import ConversionError

ROWS = [
    ('a dog on the beach', 'http://a/0.jpg'),
    ('person says "hi" to a naïve 猫', 'http://a/1.jpg'),
    ('   ', 'http://a/2.jpg'),
    ('not downloaded', 'http://a/3.jpg'),
    ('a dog on the beach again', 'http://a/0.jpg'),  # the URL of row 0
    ('a cat ', 'http://a/5.jpg'),
]
# img2dataset keys of the downloaded rows (row 5 in a second shard).
DOWNLOADED = {1: '00000/000000001', 2: '00000/000000002',
              4: '00000/000000004', 5: '00001/000010000'}


def write_tsv(path, rows, header=False):
    lines = ['caption\turl'] if header else []
    lines += [f'{caption}\t{url}' for caption, url in rows]
    path.write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return path


def write_img2dataset(image_dir):
    """Shards as img2dataset --output_format files writes them: images with
    .txt and .json sidecars, plus per-shard parquet/stats files."""
    for index, key_path in DOWNLOADED.items():
        stem = image_dir / key_path
        stem.parent.mkdir(parents=True, exist_ok=True)
        caption, url = ROWS[index]
        stem.with_suffix('.jpg').write_bytes(b'')
        stem.with_suffix('.txt').write_text(caption, encoding='utf-8')
        stem.with_suffix('.json').write_text(json.dumps(dict(
            url=url, caption=caption, key=stem.name, status='success',
            error_message=None)), encoding='utf-8')
    (image_dir / '00000.parquet').write_bytes(b'')
    (image_dir / '00000_stats.json').write_text('{}')


def record(index, image, caption):
    return dict(video_id=str(index), video=image, captions=[caption])


def test_convert_img2dataset_matches_rows_by_url_and_caption(
        tmp_path, load_output):
    # The TSV given to img2dataset starts with the header its example adds.
    tsv = write_tsv(tmp_path / 'Train_GCC-training.tsv', ROWS, header=True)
    write_img2dataset(tmp_path / 'images' / 'train')
    out = tmp_path / 'annotations'
    assert convert(str(out), str(tmp_path / 'images'),
                   train_tsv=str(tsv)) == dict(train=3)
    content = load_output(out / 'train.json')
    assert content['data_list'] == [
        record(1, 'train/00000/000000001.jpg', ROWS[1][0]),
        # Row 0 (same URL) was not downloaded: row 4 keeps its own image.
        record(4, 'train/00000/000000004.jpg', 'a dog on the beach again'),
        record(5, 'train/00001/000010000.jpg', 'a cat'),
    ]
    assert content['metainfo']['task'] == 'image_text'
    assert content['metainfo']['source'] == ['Train_GCC-training.tsv']
    assert content['metainfo']['skipped'] == {
        'not downloaded': 2, 'with a blank caption': 1}


def test_cli_pattern_layout(tmp_path, run_converter, load_output):
    tsv = write_tsv(tmp_path / 'Validation_GCC-1.1.0-Validation.tsv', ROWS)
    val_dir = tmp_path / 'images' / 'validation'
    val_dir.mkdir(parents=True)
    for index in (0, 2, 5):
        (val_dir / f'{index:03d}.jpg').write_bytes(b'')
    out = tmp_path / 'annotations'
    stdout = run_converter('cc3m', '--val-tsv', tsv, '--image-root',
                           tmp_path / 'images', '--val-subdir', 'validation',
                           '--images-from', 'pattern', '--image-pattern',
                           '{index:03d}.jpg', '--out-dir', out)
    assert stdout.splitlines()[-1] == f'CC3M: val 2 images -> {out}'
    assert load_output(out / 'val.json')['data_list'] == [
        record(0, 'validation/000.jpg', 'a dog on the beach'),
        record(5, 'validation/005.jpg', 'a cat'),
    ]


def test_crc32_file_names(tmp_path, load_output):
    # CRC-32 of this text is 0x414FA339 (the standard check value).
    url = 'The quick brown fox jumps over the lazy dog'
    tsv = write_tsv(tmp_path / 'train.tsv', [('a fox', url)])
    (tmp_path / 'images' / 'training').mkdir(parents=True)
    (tmp_path / 'images' / 'training' / str(0x414FA339)).write_bytes(b'')
    convert(str(tmp_path / 'out'), str(tmp_path / 'images'), str(tsv),
            images_from='pattern', image_pattern='{crc32}',
            train_subdir='training')
    assert load_output(tmp_path / 'out' / 'train.json')['data_list'] == [
        record(0, 'training/1095738169', 'a fox')]


def test_line_with_extra_field_names_file_and_line(tmp_path):
    tsv = tmp_path / 'Train_GCC-training.tsv'
    tsv.write_text('a dog\thttp://a/0.jpg\nbad\tline\textra\n')
    (tmp_path / 'images' / 'train').mkdir(parents=True)
    with pytest.raises(ConversionError,
                       match=r'Train_GCC-training\.tsv: line 2 has 3 '
                       'tab-separated fields, expected 2'):
        convert(str(tmp_path / 'out'), str(tmp_path / 'images'), str(tsv),
                images_from='pattern')


def test_images_of_another_tsv_name_the_sidecar_url(tmp_path):
    tsv = write_tsv(tmp_path / 'Train_GCC-training.tsv', ROWS[:1])
    write_img2dataset(tmp_path / 'images' / 'train')
    with pytest.raises(ConversionError,
                       match=r"image '00000/000000001\.jpg' has sidecar "
                       r"fields 'url'"):
        convert(str(tmp_path / 'out'), str(tmp_path / 'images'), str(tsv))
