"""Tests of tools/data/make_motion_corpus.py: determinism, the annotation
schema of the demo corpus, unique held-out captions, decodable videos, and
rendered motion that matches each caption's motion."""
import filecmp
import importlib.util
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest

from clover.datasets import open_video

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SPLITS = ('train', 'val', 'test')
SIZES = dict(num_train=8, num_val=4, num_test=6)


@pytest.fixture(scope='module')
def generator():
    name = 'make_motion_corpus'
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, osp.join(REPO_ROOT, 'tools', 'data', f'{name}.py'))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # the process pool pickles by name
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope='module')
def corpus(generator, tmp_path_factory):
    out_dir = str(tmp_path_factory.mktemp('motion'))
    generator.build_corpus(
        out_dir, num_frames=6, size=32, seed=5, workers=1, **SIZES)
    return out_dir


def read(corpus, split):
    with open(osp.join(corpus, 'annotations', f'{split}.json')) as file:
        return json.load(file)


def test_same_seed_same_files_other_seed_other_corpus(generator, corpus,
                                                      tmp_path):
    same, other = tmp_path / 'same', tmp_path / 'other'
    generator.build_corpus(
        str(same), num_frames=6, size=32, seed=5, workers=2, **SIZES)
    generator.build_corpus(
        str(other), num_frames=6, size=32, seed=6, workers=1, **SIZES)
    for split in SPLITS:
        name = osp.join('annotations', f'{split}.json')
        assert filecmp.cmp(osp.join(corpus, name), same / name,
                           shallow=False)
    videos = sorted(os.listdir(osp.join(corpus, 'videos')))
    _, mismatch, errors = filecmp.cmpfiles(
        osp.join(corpus, 'videos'), same / 'videos', videos, shallow=False)
    assert mismatch == [] and errors == []
    assert read(corpus, 'test') != read(str(other), 'test')


def test_schema_one_caption_unique_held_out_and_half_distractors(
        generator, corpus):
    motion_words = generator.MOTION_WORDS
    ids, distractors = set(), []
    for split in SPLITS:
        annotation = read(corpus, split)
        meta = annotation['metainfo']
        assert (meta['split'], meta['task'], meta['schema_version']) == \
            (split, 'retrieval', 1)
        records = annotation['data_list']
        assert len(records) == SIZES[f'num_{split}']
        for record in records:
            assert record['video'] == f"{record['video_id']}.mp4"
            assert len(record['captions']) == 1
            attributes = record['attributes']
            caption = record['captions'][0]
            # The caption names the motion with one of its phrasings.
            assert any(
                phrase in caption
                for phrase in motion_words[attributes['motion']]), caption
            distractors.append(attributes['distractor'])
            ids.add(record['video_id'])
        if split != 'train':
            combos = [(r['attributes']['colour'], r['attributes']['shape'],
                       r['attributes']['motion']) for r in records]
            assert len(set(combos)) == len(combos)
    assert len(ids) == sum(SIZES.values())
    assert sum(distractors) == len(distractors) // 2


def test_videos_decode_to_the_rendered_frames(generator, corpus):
    for record in read(corpus, 'test')['data_list'][:2]:
        attributes = record['attributes']
        rendered = generator.render_clip(
            (int(record['video_id'].split('_')[1]),
             (attributes['colour'], attributes['shape'],
              attributes['motion']), 6, 32, 5, attributes['distractor']))
        reader = open_video(osp.join(corpus, 'videos', record['video']))
        assert reader.num_frames == 6
        decoded = reader.read_frames(range(6)).astype(np.float64)
        assert decoded.shape == (6, 32, 32, 3)
        psnr = 10 * np.log10(255**2 / np.mean((decoded - rendered)**2))
        assert psnr > 20, (record['video_id'], psnr)


def object_mask(generator, frames, colour):
    target = np.array(generator.COLOURS[colour], float)
    return np.abs(frames.astype(float) - target).sum(-1) < 60


@pytest.mark.parametrize('motion', [
    'grow', 'shrink', 'zigzag', 'spin-clockwise', 'spin-anticlockwise'
])
def test_rendered_motion_matches_the_motion(generator, motion):
    """Measured on the rendered object pixels: area grows or shrinks,
    the centroid crosses the frame, or the shape turns in place."""
    frames = generator.render_clip(
        (0, ('red', 'arrow', motion), 16, 64, 0, False))
    masks = object_mask(generator, frames, 'red')
    areas = masks.sum((1, 2))
    assert areas.min() > 0
    centroids = np.array([np.argwhere(m).mean(0) for m in masks])  # (y, x)
    if motion == 'grow':
        assert areas[-1] > 4 * areas[0]
    elif motion == 'shrink':
        assert areas[0] > 4 * areas[-1]
    elif motion == 'zigzag':
        assert abs(centroids[-1, 1] - centroids[0, 1]) > 0.3 * 64
        # Up and down: the vertical velocity changes sign several times.
        signs = np.sign(np.diff(centroids[:, 0]))
        assert (np.diff(signs[signs != 0]) != 0).sum() >= 3
    else:
        assert areas.max() < 1.2 * areas.min()
        assert np.abs(centroids[-1] - centroids[0]).max() < 3
        first, last = masks[0], masks[-1]
        assert (first & last).sum() / (first | last).sum() < 0.7
        # Which way: the arrow's tip (the object pixel farthest from the
        # centroid) turns by a positive angle in image coordinates (y down)
        # for clockwise.
        angles = []
        for mask, (cy, cx) in zip(masks[:3], centroids[:3]):
            points = np.argwhere(mask)
            tip = points[np.argmax(((points - (cy, cx))**2).sum(1))]
            angles.append(np.arctan2(tip[0] - cy, tip[1] - cx))
        turn = np.angle(np.exp(1j * (angles[2] - angles[0])))
        assert (turn > 0) == (motion == 'spin-clockwise'), turn


def test_too_many_held_out_clips_are_refused(generator, tmp_path):
    with pytest.raises(ValueError, match='combinations'):
        generator.build_corpus(
            str(tmp_path), num_train=1, num_val=200, num_test=120)
