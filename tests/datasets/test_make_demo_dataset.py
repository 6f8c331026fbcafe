"""Tests of tools/data/make_demo_dataset.py (loaded by the conftest)."""
import filecmp
import json
import os
import os.path as osp
import re
import sys

import cv2
import numpy as np
import pytest

from clover.datasets import open_video

SPLITS = ('train', 'val', 'test')


def read_split(corpus, split):
    with open(osp.join(corpus, 'annotations', f'{split}.json')) as file:
        return json.load(file)


def test_same_seed_gives_identical_files(demo_generator, tiny_corpus,
                                         tmp_path):
    # Same arguments as the fixture, but with a pool of 2 workers.
    demo_generator.build_corpus(
        str(tmp_path), num_train=6, num_val=3, num_test=4, seed=3, workers=2)
    for split in SPLITS:
        name = osp.join('annotations', f'{split}.json')
        assert filecmp.cmp(
            osp.join(tiny_corpus, name), tmp_path / name, shallow=False)
    videos = sorted(os.listdir(osp.join(tiny_corpus, 'videos')))
    assert videos == sorted(os.listdir(tmp_path / 'videos'))
    _, mismatch, errors = filecmp.cmpfiles(
        osp.join(tiny_corpus, 'videos'),
        tmp_path / 'videos',
        videos,
        shallow=False)
    assert mismatch == [] and errors == []


def test_other_seed_gives_other_corpus(demo_generator, tiny_corpus, tmp_path):
    demo_generator.build_corpus(
        str(tmp_path), num_train=6, num_val=3, num_test=4, seed=4, workers=1)
    ours = read_split(tiny_corpus, 'test')['data_list']
    theirs = read_split(str(tmp_path), 'test')['data_list']
    assert [r['captions'] for r in ours] != [r['captions'] for r in theirs]


def test_splits_schema_and_disjointness(demo_generator, tiny_corpus):
    ids, files, held_out_keys, train_keys = {}, {}, [], []
    for split, size in zip(SPLITS, (6, 3, 4)):
        annotation = read_split(tiny_corpus, split)
        assert annotation['metainfo']['split'] == split
        assert annotation['metainfo']['task'] == 'retrieval'
        assert annotation['metainfo']['schema_version'] == 1
        records = annotation['data_list']
        assert len(records) == size
        ids[split] = {record['video_id'] for record in records}
        files[split] = {record['video'] for record in records}
        for record in records:
            assert osp.isfile(osp.join(tiny_corpus, 'videos', record['video']))
            assert 2 <= len(record['captions']) <= 3
            key = demo_generator.attribute_key(record['attributes'])
            (train_keys if split == 'train' else held_out_keys).append(key)
    for first, second in (('train', 'val'), ('train', 'test'), ('val',
                                                                'test')):
        assert not ids[first] & ids[second]
        assert not files[first] & files[second]
    # Held-out combinations are unique and never seen in training.
    assert len(set(held_out_keys)) == len(held_out_keys)
    assert not set(held_out_keys) & set(train_keys)


def test_default_test_split_is_a_usable_gallery(demo_generator):
    num_videos = dict(train=600, val=100, test=120)
    specs = demo_generator.sample_specs(num_videos, 64, 16, seed=0)
    test_keys = [
        demo_generator.attribute_key(spec.attributes) for spec in specs
        if spec.split == 'test'
    ]
    assert len(test_keys) == 120 == len(set(test_keys))
    # Every attribute value shows up in training.
    for key_index, values in enumerate(
        (demo_generator.COLOURS, demo_generator.SHAPES, demo_generator.SIZES,
         demo_generator.DIRECTIONS, demo_generator.SPEEDS,
         demo_generator.COUNTS)):
        seen = {
            demo_generator.attribute_key(spec.attributes)[key_index]
            for spec in specs if spec.split == 'train'
        }
        assert seen == set(values)


def phrases_of(demo_generator, attribute, value):
    """All phrasings of one attribute value, longest first."""
    gen = demo_generator
    if attribute == 'shape':
        phrases = [word for pair in gen.SHAPE_WORDS[value] for word in pair]
    elif attribute == 'speed':
        phrases = gen.SPEED_ADVERBS[value] + [
            f'at a {pace} pace' for pace in gen.PACE_WORDS[value]
        ]
    else:
        table = dict(
            colour=gen.COLOUR_WORDS,
            size=gen.SIZE_WORDS,
            direction=gen.DIRECTION_WORDS,
            count=gen.COUNT_WORDS)[attribute]
        phrases = list(table[value])
    return sorted(phrases, key=len, reverse=True)


def find_phrase(text, phrase):
    return re.search(rf'(?<![\w-]){re.escape(phrase)}(?![\w-])', text)


@pytest.mark.parametrize(
    'attribute', ['colour', 'shape', 'size', 'direction', 'speed', 'count'])
def test_captions_name_the_rendered_attributes(demo_generator, attribute):
    specs = demo_generator.sample_specs(
        dict(train=150, val=0, test=50), 64, 16, seed=1)
    values = {spec.attributes[attribute] for spec in specs}
    for spec in specs:
        true_value = spec.attributes[attribute]
        for caption in spec.captions:
            text = caption.lower()
            # Some phrasing of the true value is there...
            match = next((
                found
                for phrase in phrases_of(demo_generator, attribute, true_value)
                if (found := find_phrase(text, phrase))), None)
            assert match, (caption, attribute, true_value)
            # ...and, once it is cut out, no phrasing of another value.
            rest = text[:match.start()] + '|' + text[match.end():]
            for other in values - {true_value}:
                for phrase in phrases_of(demo_generator, attribute, other):
                    if attribute == 'count' and phrase == 'a':
                        continue  # "a" also starts other phrases.
                    assert not find_phrase(rest, phrase), (caption, other)


def test_captions_vary(demo_generator):
    specs = demo_generator.sample_specs(
        dict(train=60, val=0, test=0), 64, 16, seed=2)
    captions = [caption for spec in specs for caption in spec.captions]
    # Templates and synonyms vary the wording of the same attribute.
    openings = {' '.join(caption.split()[:2]) for caption in captions}
    assert len(openings) > 20
    assert len(set(captions)) == len(captions)
    assert not any(re.search(r'\ba [aeiou]', caption) for caption in captions)


def object_mask(frame, colour):
    """Pixels within a small distance of the object colour."""
    distance = np.abs(frame.astype(int) - np.array(colour)).sum(axis=-1)
    return (distance < 60).astype(np.uint8)


def test_rendered_frames_show_the_attributes(demo_generator):
    gen = demo_generator
    specs = gen.sample_specs(dict(train=40, val=0, test=0), 64, 16, seed=5)
    areas = {}
    for spec in specs:
        frames = gen.render_frames(spec)
        assert frames.shape == (16, 64, 64, 3) and frames.dtype == np.uint8
        colour = gen.COLOURS[spec.attributes['colour']]
        centroids = []
        for frame in (frames[0], frames[-1]):
            count, _, stats, centres = cv2.connectedComponentsWithStats(
                object_mask(frame, colour), connectivity=8)
            # Label 0 is the background.
            assert count - 1 == spec.attributes['count'], spec.attributes
            centroids.append(centres[1:].mean(axis=0))
        areas[spec.video_id] = stats[1:, cv2.CC_STAT_AREA].mean()
        moved = centroids[1] - centroids[0]
        dx, dy = gen.DIRECTIONS[spec.attributes['direction']]
        direction = np.array([dx, dy]) / np.hypot(dx, dy)
        distance = gen.SPEEDS[spec.attributes['speed']] * 64
        # Anti-aliased edges move the centroid by well under a pixel.
        np.testing.assert_allclose(moved, direction * distance, atol=1.0)
    # Of two objects of the same shape, the one of the larger size class
    # covers more pixels.
    size_rank = {'small': 0, 'medium': 1, 'large': 2}
    compared = 0
    for first in specs:
        for second in specs:
            if (first.attributes['shape'] == second.attributes['shape']
                    and size_rank[first.attributes['size']]
                    < size_rank[second.attributes['size']]):
                assert areas[first.video_id] < areas[second.video_id]
                compared += 1
    assert compared > 20


def test_videos_decode_to_the_rendered_frames(demo_generator, tiny_corpus):
    gen = demo_generator
    specs = gen.sample_specs(dict(train=6, val=3, test=4), 64, 16, seed=3)
    for spec in specs[::4]:
        rendered = gen.render_frames(spec).astype(np.float64)
        path = osp.join(tiny_corpus, 'videos', f'{spec.video_id}.mp4')
        for backend in ('decord', 'pyav'):
            reader = open_video(path, backend)
            assert reader.num_frames == 16
            decoded = reader.read_frames(range(16)).astype(np.float64)
            psnr = 10 * np.log10(255**2 / np.mean((decoded - rendered)**2))
            assert psnr > 22, (backend, spec.video_id, psnr)


def test_cli_prints_a_summary(demo_generator, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', [
        'make_demo_dataset.py', '--out-dir',
        str(tmp_path), '--num-train', '2', '--num-val', '1', '--num-test', '1',
        '--num-frames', '4', '--size', '32', '--workers', '1'
    ])
    demo_generator.main()
    assert re.match(
        r'Demo corpus: 2/1/1 train/val/test videos \(4 frames, '
        r'32x32, 8 fps\), \d+ captions -> ',
        capsys.readouterr().out)
    assert len(os.listdir(tmp_path / 'videos')) == 4
    reader = open_video(str(tmp_path / 'videos' / 'demo_00000.mp4'))
    assert reader.read_frames([0, 3]).shape == (2, 32, 32, 3)


def test_still_frames_are_the_middle_frames_with_motionless_captions(
        demo_generator, tiny_corpus, tmp_path):
    from clover.datasets import ImageTextDataset
    from clover.datasets.transforms import LoadImageAsClip
    demo_generator.build_corpus(
        str(tmp_path), num_train=6, num_val=3, num_test=4, seed=3, workers=1,
        still_frames=True)
    # The videos' annotations do not depend on the flag.
    for split in SPLITS:
        name = osp.join('annotations', f'{split}.json')
        assert filecmp.cmp(
            osp.join(tiny_corpus, name), tmp_path / name, shallow=False)
    stills = json.loads(
        (tmp_path / 'annotations' / 'train_images.json').read_text())
    assert stills['metainfo']['task'] == 'image_text'
    train = read_split(tiny_corpus, 'train')['data_list']
    assert [r['video_id'] for r in stills['data_list']] == \
        [r['video_id'] for r in train]
    motion_words = {
        word
        for table in (demo_generator.DIRECTION_WORDS,
                      demo_generator.SPEED_ADVERBS, demo_generator.PACE_WORDS)
        for phrases in table.values() for phrase in phrases
        for word in phrase.lower().split()
    } - {'a', 'at', 'the', 'to', 'and', 'from'}
    dataset = ImageTextDataset(
        ann_file=str(tmp_path / 'annotations' / 'train_images.json'),
        data_prefix=dict(video=str(tmp_path / 'images')),
        pipeline=[LoadImageAsClip()])
    for index, record in enumerate(stills['data_list']):
        for caption in record['captions']:
            words = set(re.findall(r'[a-z-]+', caption.lower()))
            assert not words & motion_words, caption
        colour_words = demo_generator.COLOUR_WORDS[
            record['attributes']['colour']]
        assert all(
            any(word in caption.lower() for word in colour_words)
            for caption in record['captions'])
    # Each still is exactly the middle frame the generator rendered (PNG is
    # lossless).
    specs = demo_generator.sample_specs(
        dict(train=6, val=3, test=4), 64, 16, seed=3)
    for index, spec in enumerate(specs[:6]):
        assert spec.video_id == stills['data_list'][index]['video_id']
        frames = demo_generator.render_frames(spec)
        np.testing.assert_array_equal(dataset[index]['imgs'][0],
                                      frames[len(frames) // 2])
