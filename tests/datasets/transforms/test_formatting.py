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


QA_META_KEYS = ('video_id', 'video_index', 'question_id', 'answer',
                'answer_label', 'answer_index', 'question_type')


def test_pack_multi_view_clips_view_major():
    views, frames = 3, 2
    # Frame f of the stacked clips has every value 10 * f + channel.
    imgs = np.stack([
        np.broadcast_to(np.array([10 * f, 10 * f + 1, 10 * f + 2], np.uint8),
                        (4, 5, 3)) for f in range(views * frames)
    ])
    packed = PackVideoTextInputs()(dict(imgs=imgs, num_views=views))
    clips = packed['inputs']['imgs']
    assert clips.dtype == torch.uint8 and clips.shape == (3, 3, 2, 4, 5)
    for v in range(views):
        for c in range(3):
            for t in range(frames):
                # View v holds frames [v * T, (v + 1) * T).
                assert (clips[v, c, t] == 10 * (v * frames + t) + c).all()
    # Each view packs like a one-view clip of its own frames.
    for v in range(views):
        single = PackVideoTextInputs()(
            dict(imgs=imgs[v * frames:(v + 1) * frames]))['inputs']['imgs']
        torch.testing.assert_close(clips[v], single)


def test_pack_one_view_keeps_four_dims():
    imgs = np.random.default_rng(1).integers(0, 256, (3, 4, 4, 3), np.uint8)
    packed = PackVideoTextInputs()(dict(imgs=imgs, num_views=1))
    assert packed['inputs']['imgs'].shape == (3, 3, 4, 4)


def test_pack_rejects_frames_not_divisible_by_views():
    with pytest.raises(ValueError,
                       match=r'v5\.mp4: 7 frames .* num_views=2'):
        PackVideoTextInputs()(
            dict(
                imgs=np.zeros((7, 4, 4, 3), np.uint8),
                num_views=2,
                video_path='v5.mp4'))


def test_pack_question_meta_keys_and_set_predictions():
    packed = PackVideoTextInputs(meta_keys=QA_META_KEYS)(
        dict(
            imgs=np.zeros((2, 4, 4, 3), np.uint8),
            text=['what is it?'],
            video_id='v1',
            video_index=4,
            question_id='q9',
            question='what is it?',
            answer='dog',
            answer_label=-1,
            question_type='what'))
    sample = packed['data_samples']
    assert sample.metainfo == dict(
        video_id='v1',
        video_index=4,
        question_id='q9',
        answer='dog',
        answer_label=-1,
        question_type='what')
    # The model's predictions, typed.
    sample.pred_label = torch.tensor(2)
    sample.pred_scores = torch.tensor([0.1, 0.2, 0.7])
    assert sample.pred_label == 2 and type(sample.pred_label) is int
    assert sample.pred_scores.tolist() == pytest.approx([0.1, 0.2, 0.7])
    with pytest.raises(TypeError):
        sample.pred_label = 1.5
    with pytest.raises(ValueError, match=r'1-D.*\(1, 3\)'):
        sample.pred_scores = torch.zeros(1, 3)
    with pytest.raises(TypeError, match='tensor'):
        sample.pred_scores = [0.5, 0.5]


@pytest.mark.parametrize('key', ['answer_label', 'answer_index'])
def test_pack_sets_gt_label_whatever_the_meta_keys(key):
    """The label becomes the gt_label data field, not only metainfo."""
    results = dict(imgs=np.zeros((2, 4, 4, 3), np.uint8), question_id='q1',
                   **{key: 3})
    sample = PackVideoTextInputs()(results)['data_samples']
    assert sample.gt_label == 3 and 'gt_label' in sample.keys()
    assert key not in sample.metainfo_keys()
    no_label = PackVideoTextInputs()(
        dict(imgs=np.zeros((2, 4, 4, 3), np.uint8)))['data_samples']
    assert 'gt_label' not in no_label


def test_pack_refuses_two_kinds_of_label():
    with pytest.raises(ValueError, match='v.mp4.*answer_label and '
                       'answer_index'):
        PackVideoTextInputs()(
            dict(imgs=np.zeros((2, 4, 4, 3), np.uint8), video_path='v.mp4',
                 answer_label=1, answer_index=0))
