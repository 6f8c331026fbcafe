import pytest
import torch

from clover.models.data_preprocessors import VideoTextDataPreprocessor


def make_batch():
    g = torch.Generator().manual_seed(0)
    imgs = [torch.randint(0, 256, (3, 2, 4, 4), generator=g, dtype=torch.uint8)
            for _ in range(2)]
    # Sample 0 has one text of 3 tokens, sample 1 two texts of 2 and 4.
    ids = [torch.tensor([[101, 7, 102, 0, 0, 0]]),
           torch.tensor([[101, 102, 0, 0, 0, 0], [101, 5, 6, 102, 0, 0]])]
    masks = [(t != 0).long() for t in ids]
    return dict(
        inputs=dict(imgs=imgs, text_ids=ids, text_mask=masks),
        data_samples=['a', 'b'])


def test_normalisation_and_text_batching():
    mean, std = (10., 20., 30.), (2., 4., 8.)
    pre = VideoTextDataPreprocessor(mean=mean, std=std)
    data = make_batch()
    out = pre(data)
    imgs = out['inputs']['imgs']
    assert imgs.shape == (2, 3, 2, 4, 4) and imgs.dtype == torch.float32
    raw = data['inputs']['imgs'][1][2, 1, 3, 0].item()
    assert imgs[1, 2, 1, 3, 0].item() == pytest.approx((raw - 30.) / 8.)
    # Padding columns shared by every text are dropped: longest text is 4.
    assert out['inputs']['text_ids'].tolist() == [[101, 7, 102, 0],
                                                  [101, 102, 0, 0],
                                                  [101, 5, 6, 102]]
    assert out['inputs']['text_mask'].sum(1).tolist() == [3, 2, 4]
    assert out['inputs']['text_to_video'].tolist() == [0, 1, 1]
    assert out['data_samples'] == ['a', 'b']


def test_clips_follow_the_dtype_the_preprocessor_is_held_in():
    """A strategy that casts the whole model to half precision (DeepSpeed
    fp16 / bf16) casts the preprocessor's buffers too; the clips then come
    out in that dtype, normalised in fp32 and rounded once. Token ids stay
    integers."""
    mean, std = (10., 20., 30.), (2., 4., 8.)
    expected = VideoTextDataPreprocessor(mean=mean, std=std)(
        make_batch())['inputs']
    pre = VideoTextDataPreprocessor(mean=mean, std=std).to(torch.bfloat16)
    out = pre(make_batch())['inputs']
    assert out['imgs'].dtype == torch.bfloat16
    assert torch.equal(out['imgs'], expected['imgs'].bfloat16())
    assert out['text_ids'].dtype == torch.int64


def test_bgr_reverses_channels_before_normalising():
    data = make_batch()
    rgb = VideoTextDataPreprocessor(mean=(0, 0, 0), std=(1, 1, 1))(data)
    bgr = VideoTextDataPreprocessor(
        mean=(0, 0, 0), std=(1, 1, 1), channel_order='bgr')(data)
    torch.testing.assert_close(bgr['inputs']['imgs'],
                               rgb['inputs']['imgs'].flip(1))


def test_untrimmed_keeps_length_and_bad_args():
    out = VideoTextDataPreprocessor(trim_text_padding=False)(make_batch())
    assert out['inputs']['text_ids'].shape == (3, 6)
    with pytest.raises(ValueError, match='channel_order'):
        VideoTextDataPreprocessor(channel_order='bgra')
    with pytest.raises(ValueError, match='3 values'):
        VideoTextDataPreprocessor(mean=(1, 2))


def test_masked_texts_and_video_masks_are_batched_like_the_texts():
    data = make_batch()
    ids = data['inputs']['text_ids']
    # Words 7 and 5 are masked ([MASK] is 103) and labelled; the middle
    # text has no target.
    chosen = [torch.isin(t, torch.tensor([7, 5])) for t in ids]
    masked = [torch.where(c, 103, t) for c, t in zip(chosen, ids)]
    labels = [torch.where(c, t, -100) for c, t in zip(chosen, ids)]
    video_masks = [torch.tensor([[True, False], [False, False]]),
                   torch.tensor([[False, False], [True, True]])]
    data['inputs'].update(
        masked_text_ids=masked, mlm_labels=labels, video_mask=video_masks)
    out = VideoTextDataPreprocessor()(data)['inputs']
    # Trimmed to the longest text (4 tokens) like text_ids.
    assert out['masked_text_ids'].tolist() == [[101, 103, 102, 0],
                                               [101, 102, 0, 0],
                                               [101, 103, 6, 102]]
    assert out['mlm_labels'].tolist() == [[-100, 7, -100, -100],
                                          [-100, -100, -100, -100],
                                          [-100, 5, -100, -100]]
    assert out['video_mask'].dtype == torch.bool
    torch.testing.assert_close(out['video_mask'], torch.stack(video_masks))


def test_masked_texts_must_match_the_texts():
    data = make_batch()
    data['inputs']['masked_text_ids'] = [
        t[:, :5] for t in data['inputs']['text_ids']
    ]
    with pytest.raises(ValueError, match='masked_text_ids'):
        VideoTextDataPreprocessor()(data)


def multi_view_clips(num_views, batch_size=2):
    g = torch.Generator().manual_seed(1)
    return [
        torch.randint(0, 256, (num_views, 3, 2, 4, 4), generator=g,
                      dtype=torch.uint8) for _ in range(batch_size)
    ]


@pytest.mark.parametrize('channel_order', ['rgb', 'bgr'])
def test_multi_view_clips_normalise_like_each_view(channel_order):
    pre = VideoTextDataPreprocessor(
        mean=(10., 20., 30.), std=(2., 4., 8.), channel_order=channel_order)
    clips = multi_view_clips(num_views=3)
    out = pre(dict(inputs=dict(imgs=clips), data_samples=None))
    imgs = out['inputs']['imgs']
    assert imgs.shape == (2, 3, 3, 2, 4, 4) and imgs.dtype == torch.float32
    for v in range(3):
        per_view = pre(
            dict(inputs=dict(imgs=[clip[v] for clip in clips])))
        torch.testing.assert_close(imgs[:, v], per_view['inputs']['imgs'])
    # One value by hand: sample 1, view 2, channel c, frame 1, (3, 0).
    c = 0
    source = 2 - c if channel_order == 'bgr' else c
    raw = clips[1][2, source, 1, 3, 0].item()
    expected = (raw - (10., 20., 30.)[c]) / (2., 4., 8.)[c]
    assert imgs[1, 2, c, 1, 3, 0].item() == pytest.approx(expected)


def test_mixed_view_counts_raise():
    pre = VideoTextDataPreprocessor()
    mixed = [multi_view_clips(2, 1)[0], multi_view_clips(3, 1)[0]]
    with pytest.raises(ValueError, match=r'mixed view counts \[2, 3\]'):
        pre(dict(inputs=dict(imgs=mixed)))
    one_and_two = [multi_view_clips(2, 1)[0][0], multi_view_clips(2, 1)[0]]
    with pytest.raises(ValueError, match=r'mixed view counts \[1, 2\]'):
        pre(dict(inputs=dict(imgs=one_and_two)))


def test_channels_not_in_place_raise():
    pre = VideoTextDataPreprocessor()
    with pytest.raises(ValueError, match=r'C = 3.*\(1, 2, 3, 4, 4\)'):
        pre(dict(inputs=dict(imgs=[torch.zeros(2, 3, 4, 4).byte()])))


def test_sample_without_text_and_blank_checks_name_the_sample():
    from clover.structures import VideoTextDataSample
    data = make_batch()
    data['data_samples'] = [
        VideoTextDataSample(metainfo=dict(question_id=q)) for q in 'xy'
    ]
    data['inputs']['text_ids'][1] = data['inputs']['text_ids'][1][:0]
    data['inputs']['text_mask'][1] = data['inputs']['text_mask'][1][:0]
    with pytest.raises(ValueError, match="question_id='y'.*no text"):
        VideoTextDataPreprocessor()(data)
    # Token 7 as the blank: sample 0 has it once, sample 1 never.
    data = make_batch()
    data['data_samples'] = [
        VideoTextDataSample(metainfo=dict(question_id=q)) for q in 'xy'
    ]
    with pytest.raises(ValueError, match=r"question_id='y'.*\[0, 0\]"):
        VideoTextDataPreprocessor(blank_token_id=7)(data)
    data['inputs']['text_ids'][1][:, 1] = 7
    out = VideoTextDataPreprocessor(blank_token_id=7)(data)
    assert out['inputs']['text_ids'].shape == (3, 4)
