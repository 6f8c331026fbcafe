import numpy as np
import pytest

from clover.datasets.transforms import (CenterCrop, Flip, RandomCrop,
                                        RandomResizedCrop, Resize)
from clover.registry import TRANSFORMS


def random_clip(num_frames=3, height=27, width=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (num_frames, height, width, 3), np.uint8)


@pytest.mark.parametrize('scale,keep_ratio', [((-1, 256), True),
                                              ((340, 256), True),
                                              ((256, -1), True),
                                              ((224, 224), False)])
def test_resize_matches_mmaction(scale, keep_ratio):
    mmaction_transforms = pytest.importorskip('mmaction.datasets.transforms')
    imgs = random_clip(height=272, width=640)
    ours = Resize(scale, keep_ratio)(dict(imgs=imgs, img_shape=(272, 640)))
    reference = mmaction_transforms.Resize(scale, keep_ratio)(
        dict(imgs=list(imgs), img_shape=(272, 640), modality='RGB'))
    assert ours['img_shape'] == reference['img_shape']
    np.testing.assert_array_equal(ours['imgs'], np.stack(reference['imgs']))


def test_resize_hand_computed_sizes():
    height, width = 272, 640
    # Short side to 256: 640 * 256 / 272 = 602.4.
    assert Resize((-1, 256)).target_size(height, width) == (256, 602)
    assert Resize(256).target_size(height, width) == (256, 602)
    # Long side 340 binds before short side 256: factor 340 / 640.
    assert Resize((340, 256)).target_size(height, width) == (145, 340)
    assert Resize((56, 48), keep_ratio=False).target_size(height,
                                                          width) == (48, 56)


def test_resize_keeps_a_constant_clip_constant():
    imgs = np.full((2, 40, 30, 3), 77, np.uint8)
    out = Resize((20, 10), keep_ratio=False)(dict(imgs=imgs))['imgs']
    assert out.shape == (2, 10, 20, 3) and (out == 77).all()


@pytest.mark.parametrize('kwargs', [
    dict(scale=(0, 10), keep_ratio=False),
    dict(scale=(-1, -1)),
    dict(scale=(1, 2, 3)),
    dict(scale=10, interpolation='cubic-ish'),
])
def test_resize_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        Resize(**kwargs)


def test_center_crop_equals_slicing():
    imgs = random_clip(height=10, width=13)
    results = CenterCrop((5, 4))(dict(imgs=imgs))
    # (13 - 5) // 2 = 4 columns and (10 - 4) // 2 = 3 rows cut on the left/top.
    np.testing.assert_array_equal(results['imgs'], imgs[:, 3:7, 4:9])
    assert results['img_shape'] == (4, 5)
    assert results['crop_bbox'].tolist() == [4, 3, 9, 7]
    assert results['imgs'].flags['C_CONTIGUOUS']


def test_center_crop_matches_mmaction():
    mmaction_transforms = pytest.importorskip('mmaction.datasets.transforms')
    imgs = random_clip(height=256, width=602)
    ours = CenterCrop(224)(dict(imgs=imgs))
    reference = mmaction_transforms.CenterCrop(224)(
        dict(imgs=list(imgs), img_shape=(256, 602), modality='RGB'))
    np.testing.assert_array_equal(ours['imgs'], np.stack(reference['imgs']))
    assert ours['crop_bbox'].tolist() == reference['crop_bbox'].tolist()


def test_center_crop_larger_than_frame_names_the_video():
    with pytest.raises(ValueError, match='clip.mp4'):
        CenterCrop(64)(
            dict(imgs=random_clip(height=27), video_path='clip.mp4'))


def test_random_crop_is_one_box_for_all_frames_and_covers_every_offset():
    imgs = random_clip(num_frames=4, height=10, width=13)
    np.random.seed(0)
    seen = set()
    for _ in range(400):
        results = RandomCrop((9, 8))(dict(imgs=imgs.copy()))
        left, top, right, bottom = results['crop_bbox'].tolist()
        assert (right - left, bottom - top) == (9, 8)
        np.testing.assert_array_equal(results['imgs'],
                                      imgs[:, top:bottom, left:right])
        assert results['img_shape'] == (8, 9)
        seen.add((left, top))
    # 13 - 9 + 1 = 5 columns times 10 - 8 + 1 = 3 rows of offsets.
    assert seen == {(x, y) for x in range(5) for y in range(3)}


def test_random_crop_of_the_whole_frame_is_the_identity():
    imgs = random_clip(height=8, width=8)
    results = RandomCrop(8)(dict(imgs=imgs))
    np.testing.assert_array_equal(results['imgs'], imgs)


def test_random_crop_larger_than_frame_names_the_video():
    with pytest.raises(ValueError, match='RandomCrop.*clip.mp4'):
        RandomCrop(64)(
            dict(imgs=random_clip(height=27), video_path='clip.mp4'))


def test_random_resized_crop_respects_ranges():
    np.random.seed(0)
    imgs = random_clip(num_frames=2, height=60, width=80)
    area_range, ratio_range = (0.3, 0.9), (0.5, 2.0)
    transform = RandomResizedCrop(area_range, ratio_range)
    boxes = set()
    for _ in range(200):
        results = transform(dict(imgs=imgs))
        left, top, right, bottom = results['crop_bbox'].tolist()
        width, height = right - left, bottom - top
        assert 0 <= left < right <= 80 and 0 <= top < bottom <= 60
        # Rounding the sides to whole pixels moves area and ratio slightly.
        assert area_range[0] - 0.05 <= width * height / (80 * 60) <= (
            area_range[1] + 0.05)
        assert ratio_range[0] * 0.9 <= width / height <= ratio_range[1] * 1.1
        np.testing.assert_array_equal(results['imgs'], imgs[:, top:bottom,
                                                            left:right])
        assert results['img_shape'] == (height, width)
        boxes.add((left, top, width, height))
    assert len(boxes) > 100


def test_random_resized_crop_falls_back_to_centre_square():
    # A width / height ratio of at least 10 cannot fit in a square frame
    # with at least half its area.
    imgs = random_clip(height=40, width=40)
    transform = RandomResizedCrop((0.5, 1.0), (10.0, 12.0))
    results = transform(dict(imgs=imgs))
    assert results['crop_bbox'].tolist() == [0, 0, 40, 40]
    imgs = random_clip(height=30, width=50)
    results = transform(dict(imgs=imgs))
    assert results['crop_bbox'].tolist() == [10, 0, 40, 30]


@pytest.mark.parametrize('interpolation', ['bilinear', 'area'])
def test_fused_random_resized_crop_equals_crop_then_resize(interpolation):
    imgs = random_clip(num_frames=3, height=72, width=96, seed=2)
    fused = RandomResizedCrop(output_size=(40, 30),
                              interpolation=interpolation)
    separate = RandomResizedCrop()
    resize = Resize((40, 30), keep_ratio=False, interpolation=interpolation)
    for seed in range(5):
        np.random.seed(seed)
        ours = fused(dict(imgs=imgs))
        np.random.seed(seed)
        reference = resize(separate(dict(imgs=imgs)))
        np.testing.assert_array_equal(ours['crop_bbox'],
                                      reference['crop_bbox'])
        np.testing.assert_array_equal(ours['imgs'], reference['imgs'])
        assert ours['imgs'].shape == (3, 30, 40, 3)
        assert ours['img_shape'] == (30, 40)


def test_fused_crop_on_full_frames_matches_crop_after_a_short_side_resize():
    # Area fraction and aspect ratio are scale-free, so the 4x larger frames
    # get a box of 4x the sides (its position is drawn over a different
    # pixel range, so only its size is compared); both resize to 28x28.
    small = random_clip(num_frames=1, height=40, width=60, seed=3)
    large = np.repeat(np.repeat(small, 4, axis=1), 4, axis=2)
    transform = RandomResizedCrop((0.25, 0.8), output_size=28,
                                  interpolation='area')
    for seed in range(5):
        np.random.seed(seed)
        from_small = transform(dict(imgs=small))['crop_bbox']
        np.random.seed(seed)
        from_large = transform(dict(imgs=large))
        small_size = from_small[2:] - from_small[:2]
        large_size = from_large['crop_bbox'][2:] - from_large['crop_bbox'][:2]
        # Rounding to whole pixels happens at each scale.
        assert np.abs(large_size - 4 * small_size).max() <= 2
        assert from_large['imgs'].shape == (1, 28, 28, 3)


def test_random_resized_crop_rejects_bad_output_size():
    with pytest.raises(ValueError, match='output_size'):
        RandomResizedCrop(output_size=(0, 224))
    with pytest.raises(ValueError, match='interpolation'):
        RandomResizedCrop(output_size=224, interpolation='cubic')


def test_flip():
    imgs = random_clip()
    flipped = Flip(flip_ratio=1.0)(dict(imgs=imgs))
    np.testing.assert_array_equal(flipped['imgs'], imgs[:, :, ::-1])
    assert flipped['flip'] is True and flipped['imgs'].flags['C_CONTIGUOUS']
    kept = Flip(flip_ratio=0.0)(dict(imgs=imgs))
    assert kept['flip'] is False and kept['imgs'] is imgs
    np.random.seed(0)
    flips = [Flip()(dict(imgs=imgs))['flip'] for _ in range(400)]
    assert 0.4 < np.mean(flips) < 0.6


def test_transforms_build_from_the_registry():
    transform = TRANSFORMS.build(dict(type='Resize', scale=(-1, 56)))
    assert isinstance(transform, Resize)
    assert 'scale=(-1, 56)' in repr(transform)
