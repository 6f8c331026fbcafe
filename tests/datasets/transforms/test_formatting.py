from collections import Counter

import numpy as np
import pytest
import torch

from clover.datasets.transforms import PackVideoTextInputs, SampleCaptions
from clover.structures import VideoTextDataSample

CAPTIONS = [
    'a red circle moves left', 'two blue squares rise',
    'a tiny green ring falls'
]


def test_sample_captions_keeps_all_in_order_for_testing():
    results = SampleCaptions(num_captions=None)(dict(captions=CAPTIONS))
    assert results['text'] == CAPTIONS and results['text'] is not CAPTIONS


def test_sample_captions_draws_uniformly_without_replacement():
    np.random.seed(0)
    counts = Counter()
    for _ in range(600):
        text = SampleCaptions(num_captions=2)(dict(captions=CAPTIONS))['text']
        assert len(text) == 2 and len(set(text)) == 2
        assert set(text) <= set(CAPTIONS)
        counts.update(text)
    # Each caption is in 2 of 3 draws on average: 400 of 600.
    assert all(340 < counts[caption] < 460 for caption in CAPTIONS)


def test_sample_captions_repeats_when_a_video_has_too_few():
    np.random.seed(0)
    text = SampleCaptions(num_captions=5)(dict(captions=CAPTIONS[:2]))['text']
    assert len(text) == 5 and set(text) <= set(CAPTIONS[:2])


def test_sample_captions_rejects_zero():
    with pytest.raises(ValueError):
        SampleCaptions(num_captions=0)


def test_pack_video_and_text():
    imgs = np.random.default_rng(0).integers(0, 256, (4, 6, 5, 3), np.uint8)
    text_ids = np.arange(2 * 7, dtype=np.int64).reshape(2, 7)
    text_mask = np.ones((2, 7), np.int64)
    packed = PackVideoTextInputs()(
        dict(
            imgs=imgs,
            text=CAPTIONS[:2],
            text_ids=text_ids,
            text_mask=text_mask,
            video_id='v1',
            video_path='videos/v1.mp4',
            video_index=3,
            total_frames=16))
    inputs, sample = packed['inputs'], packed['data_samples']
    assert inputs['imgs'].dtype == torch.uint8
    assert inputs['imgs'].shape == (3, 4, 6, 5)
    # Channel c of frame t is imgs[t, :, :, c].
    np.testing.assert_array_equal(inputs['imgs'][2, 1].numpy(), imgs[1, :, :,
                                                                     2])
    for key, expected in (('text_ids', text_ids), ('text_mask', text_mask)):
        assert inputs[key].dtype == torch.long and inputs[key].shape == (2, 7)
        np.testing.assert_array_equal(inputs[key].numpy(), expected)
    assert isinstance(sample, VideoTextDataSample)
    assert sample.text == CAPTIONS[:2] and sample.num_texts == 2
    assert (sample.video_id, sample.video_path,
            sample.video_index) == ('v1', 'videos/v1.mp4', 3)
    assert 'total_frames' not in sample


def test_pack_without_text():
    packed = PackVideoTextInputs(meta_keys=('video_id', 'missing'))(
        dict(imgs=np.zeros((2, 4, 4, 3), np.uint8), video_id='v2'))
    assert set(packed['inputs']) == {'imgs'}
    assert packed['data_samples'].num_texts == 0
    assert packed['data_samples'].metainfo == dict(video_id='v2')


def test_pack_rejects_channels_first_frames():
    with pytest.raises(ValueError, match=r'\(T, H, W, 3\).*v3.mp4'):
        PackVideoTextInputs()(
            dict(imgs=np.zeros((3, 2, 4, 4), np.uint8), video_path='v3.mp4'))


def test_pack_masked_text_and_video_mask():
    text_ids = np.array([[101, 7, 8, 102, 0]], np.int64)
    masked = np.array([[101, 103, 8, 102, 0]], np.int64)
    labels = np.array([[-100, 7, -100, -100, -100]], np.int64)
    video_mask = np.array([[True, False, False], [False, False, True]])
    packed = PackVideoTextInputs()(
        dict(
            imgs=np.zeros((2, 4, 4, 3), np.uint8),
            text_ids=text_ids,
            text_mask=(text_ids != 0).astype(np.int64),
            masked_text_ids=masked,
            mlm_labels=labels,
            video_mask=video_mask))
    inputs = packed['inputs']
    for key, expected in (('masked_text_ids', masked),
                          ('mlm_labels', labels)):
        assert inputs[key].dtype == torch.long and inputs[key].shape == (1, 5)
        np.testing.assert_array_equal(inputs[key].numpy(), expected)
    assert inputs['video_mask'].dtype == torch.bool
    np.testing.assert_array_equal(inputs['video_mask'].numpy(), video_mask)


def test_pack_rejects_a_per_frame_video_mask():
    with pytest.raises(ValueError, match=r'video_mask.*\(h, w\).*v4.mp4'):
        PackVideoTextInputs()(
            dict(
                imgs=np.zeros((2, 4, 4, 3), np.uint8),
                video_mask=np.zeros((2, 7, 7), bool),
                video_path='v4.mp4'))
