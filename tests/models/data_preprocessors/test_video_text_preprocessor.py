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
