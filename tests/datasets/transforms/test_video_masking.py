import numpy as np
import pytest

from clover.datasets.transforms.video_masking import BlockMaskGenerator


def test_shape_dtype_and_other_keys_kept():
    np.random.seed(0)
    results = BlockMaskGenerator()(dict(video_path='a.mp4'))
    assert results['video_path'] == 'a.mp4'
    mask = results['video_mask']
    assert mask.shape == (7, 7) and mask.dtype == np.bool_
    rect = BlockMaskGenerator(window_size=(5, 9))({})['video_mask']
    assert rect.shape == (5, 9)


@pytest.mark.parametrize('window,num,lower', [(7, 10, 4), ((5, 9), 16, 4),
                                              (7, 3, 1)])
def test_count_bounds(window, num, lower):
    """Never more than num_masking_patches; at least the minimum block area
    (4) when the budget allows it, at least one cell otherwise."""
    generator = BlockMaskGenerator(window_size=window,
                                   num_masking_patches=num,
                                   min_num_patches=4)
    np.random.seed(1)
    counts = [int(generator({})['video_mask'].sum()) for _ in range(500)]
    assert lower <= min(counts) and max(counts) <= num
    # Blocks fill the budget in the usual case (BEiT semantics).
    assert np.mean(np.equal(counts, num)) > 0.8


def test_one_block_is_a_rectangle_of_allowed_shape():
    generator = BlockMaskGenerator(num_masking_patches=10, min_num_patches=4)
    np.random.seed(2)
    low, high = generator.aspect_ratio
    shapes = set()
    for _ in range(300):
        mask = np.zeros((7, 7), dtype=bool)
        added = generator.add_block(mask, budget=10)
        if added == 0:
            continue
        rows, cols = np.nonzero(mask)
        h = rows.max() - rows.min() + 1
        w = cols.max() - cols.min() + 1
        assert added == mask.sum() == h * w  # a filled rectangle
        assert h * w <= 10 and h < 7 and w < 7
        # h and w are sqrt(area * r) and sqrt(area / r) rounded, r allowed.
        assert (h + 0.5) / (w - 0.5) >= low
        assert (h - 0.5) / (w + 0.5) <= high
        assert (h + 0.5) * (w + 0.5) >= 4
        shapes.add((h, w))
    # Both orientations and several shapes occur.
    assert any(h > w for h, w in shapes) and any(h < w for h, w in shapes)
    assert len(shapes) >= 5


def test_block_respects_budget_and_overlap():
    generator = BlockMaskGenerator()
    np.random.seed(3)
    for _ in range(100):
        mask = np.zeros((7, 7), dtype=bool)
        mask[2:5, 2:5] = True
        before = mask.copy()
        added = generator.add_block(mask, budget=2)
        assert added == mask.sum() - before.sum() <= 2
        assert (mask >= before).all()


def test_deterministic_under_seed():
    generator = BlockMaskGenerator()
    np.random.seed(4)
    first = [generator({})['video_mask'] for _ in range(5)]
    np.random.seed(4)
    second = [generator({})['video_mask'] for _ in range(5)]
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert len({a.tobytes() for a in first}) > 1


def test_zero_patches_and_bad_args():
    empty = BlockMaskGenerator(num_masking_patches=0)({})['video_mask']
    assert not empty.any()
    with pytest.raises(ValueError, match='num_masking_patches'):
        BlockMaskGenerator(num_masking_patches=50)
    with pytest.raises(ValueError, match='window_size'):
        BlockMaskGenerator(window_size=(7, 7, 7))
    with pytest.raises(ValueError, match='aspect_ratio'):
        BlockMaskGenerator(aspect_ratio=(2., 1.))
    with pytest.raises(ValueError, match='min_num_patches'):
        BlockMaskGenerator(min_num_patches=0)


def test_blocks_are_strictly_smaller_than_the_grid():
    """A 3 x 2 block would fit the budget of a 3 x 3 grid but, as in BEiT,
    a block never spans a whole side."""
    generator = BlockMaskGenerator(window_size=3,
                                   num_masking_patches=6,
                                   min_num_patches=6)
    np.random.seed(5)
    blocks = 0
    for _ in range(100):
        mask = np.zeros((3, 3), dtype=bool)
        if generator.add_block(mask, budget=6) == 0:
            continue
        rows, cols = np.nonzero(mask)
        assert np.ptp(rows) < 2 and np.ptp(cols) < 2
        blocks += 1
    assert blocks > 10
