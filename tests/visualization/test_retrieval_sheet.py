"""Contact sheets: frames picked from a real encoded video, rows drawn in
rank order with the ground truth framed, and the hook's ranking equal to the
retrieval metric's pessimistic t2v rank."""
import cv2
import numpy as np
import pytest
import torch

from clover.datasets.video_io import VideoDecodeError
from clover.engine.hooks import RetrievalVisHook
from clover.evaluation.metrics.retrieval_metric import t2v_ranks
from clover.visualization import (SheetRow, clip_frame_indices,
                                  draw_retrieval_sheet, read_clip_frames)
from clover.visualization.retrieval_sheet import (BACKGROUND, MATCH_COLOR,
                                                  PLACEHOLDER)


def test_clip_frame_indices_by_hand():
    # Middles of equal segments: (i + 0.5) * total / num_frames, floored.
    assert clip_frame_indices(8, 4).tolist() == [1, 3, 5, 7]
    assert clip_frame_indices(3, 4).tolist() == [0, 1, 1, 2]
    assert clip_frame_indices(10, 1).tolist() == [5]
    with pytest.raises(ValueError, match='total'):
        clip_frame_indices(0, 4)


@pytest.mark.parametrize('backend', ['pyav', 'auto'])
def test_read_clip_frames_decodes_the_chosen_frames(tmp_path, backend):
    """Frame i of an encoded video is a grey of level 10 + 20 i; the sheet's
    frames are the levels of the chosen indices."""
    path = str(tmp_path / 'indexed.avi')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             (32, 24))
    for i in range(12):
        writer.write(np.full((24, 32, 3), 10 + 20 * i, np.uint8))
    writer.release()
    frames = read_clip_frames(path, 4, backend=backend)
    assert frames.shape == (4, 24, 32, 3) and frames.dtype == np.uint8
    expected = [10 + 20 * i for i in clip_frame_indices(12, 4)]
    np.testing.assert_allclose(frames.reshape(4, -1).mean(1), expected,
                               atol=3)
    with pytest.raises(VideoDecodeError, match='missing.mp4'):
        read_clip_frames(str(tmp_path / 'missing.mp4'), 4)


def _color_box(sheet, color):
    """Bounding box (top, bottom, left, right) of the pixels of ``color``
    and the number of separate horizontal runs (cells) on its middle row."""
    mask = (sheet == np.array(color, np.uint8)).all(-1)
    ys, xs = np.nonzero(mask)
    middle = mask[(ys.min() + ys.max()) // 2]
    cells = int(np.count_nonzero(np.diff(middle.astype(int), prepend=0) == 1))
    return ys.min(), ys.max(), xs.min(), xs.max(), cells


def test_rows_in_order_with_ground_truth_framed():
    red, blue, yellow = (220, 0, 0), (0, 0, 220), (230, 230, 0)
    # Letterboxing: a 2:1 frame in a square cell fills its width only.
    wide = np.zeros((3, 20, 40, 3), np.uint8)
    wide[:] = yellow
    rows = [
        SheetRow(1, 0.9, 'first', np.full((3, 24, 24, 3), red, np.uint8)),
        SheetRow(2, 0.8, 'second', np.full((3, 24, 24, 3), blue, np.uint8),
                 is_match=True),
        SheetRow(7, 0.1, 'third', wide),
        SheetRow(8, 0.0, 'broken', None),
    ]
    sheet = draw_retrieval_sheet('a red square ' * 12, rows, num_frames=3,
                                 frame_size=(32, 32))
    assert sheet.dtype == np.uint8 and sheet.ndim == 3
    boxes = [_color_box(sheet, color) for color in (red, blue, yellow)]
    tops = [box[0] for box in boxes]
    assert tops == sorted(tops)
    for top, bottom, left, right, cells in boxes:
        assert cells == 3
    # Square frames fill the 32 x 32 cell; the wide one 32 x 16.
    assert boxes[0][1] - boxes[0][0] + 1 == 32
    assert boxes[2][1] - boxes[2][0] + 1 == 16
    # The green frame runs just above the ground truth's cells, not above
    # the others'.
    for (top, _, left, right, _), is_match in zip(boxes[:2], (False, True)):
        above = sheet[top - 2, left:right + 1]
        expected = MATCH_COLOR if is_match else BACKGROUND
        assert (above == np.array(expected, np.uint8)).all()
    # The undecodable video gets grey cells below the others (the search
    # starts right of the labels, whose anti-aliased text has greys too).
    below = sheet[boxes[2][1] + 1:, boxes[0][2]:]
    *_, grey_cells = _color_box(below, PLACEHOLDER)
    assert grey_cells == 3


def test_hook_ranking_is_the_metric_rank():
    """Over random galleries with ties (a duplicate of the ground truth, a
    collapsed gallery) the ground truth's position in the hook's order is
    RetrievalMetric's pessimistic t2v rank, and the order sorts scores."""
    gen = torch.Generator().manual_seed(0)
    for trial in range(20):
        videos = torch.nn.functional.normalize(
            torch.randn(9, 4, generator=gen), dim=-1)
        gt = trial % 9
        if trial % 3 == 1:
            videos[(gt + 1) % 9] = videos[gt]
        query = torch.randn(4, generator=gen)
        if trial % 3 == 2:
            # Exactly representable products: every score is the same in
            # any summation order (a BLAS kernel may round identical rows
            # of a float gallery differently, which is not a tie).
            videos[:] = 0.5
            query = torch.randint(-3, 4, (4, ), generator=gen).float()
        order, scores = RetrievalVisHook.rank_query(query, videos, gt)
        assert sorted(order.tolist()) == list(range(9))
        assert np.all(np.diff(scores[order]) <= 0)
        rank = int(np.nonzero(order == gt)[0][0]) + 1
        expected = t2v_ranks(
            torch.from_numpy(scores)[None].double(), torch.tensor([gt]))
        assert rank == int(expected[0])
        if trial % 3 == 2:
            assert rank == 9
