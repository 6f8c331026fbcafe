import os.path as osp
import pickle

import av
import numpy as np
import pytest

from clover.datasets import VideoDecodeError, open_video
from clover.datasets.transforms import (CenterCrop, PackVideoTextInputs,
                                        Resize, SampleFrames, VideoDecode,
                                        VideoInit)

INDEXED_LEVELS = [10 + 20 * index for index in range(12)]


def frame_levels(frames):
    """Mean grey level of each frame of a ``(T, H, W, 3)`` array; encoding
    moves it by a few levels, far less than the 20 between frames."""
    return frames.reshape(len(frames), -1).mean(axis=1)


def load(path, indices, backend):
    results = VideoInit(backend)(dict(video_path=path))
    results['frame_inds'] = np.asarray(indices)
    return VideoDecode()(results)


@pytest.mark.parametrize('backend', ['decord', 'pyav', 'auto'])
def test_decode_returns_requested_frames(indexed_video, backend):
    indices = [7, 0, 3, 3, 11]
    results = load(indexed_video, indices, backend)
    assert results['total_frames'] == 12
    assert results['avg_fps'] == pytest.approx(8.0)
    assert results['video_backend'] == ('decord'
                                        if backend == 'decord' else 'pyav')
    imgs = results['imgs']
    assert imgs.dtype == np.uint8 and imgs.shape == (5, 48, 64, 3)
    assert results['img_shape'] == (48, 64)
    expected = [INDEXED_LEVELS[index] for index in indices]
    np.testing.assert_allclose(frame_levels(imgs), expected, atol=6)
    # The reader is gone, so the sample pickles.
    assert 'video_reader' not in results
    pickle.dumps(results)


def test_decord_and_pyav_agree_on_demo_video(tiny_corpus):
    path = osp.join(tiny_corpus, 'videos', 'demo_00000.mp4')
    indices = [0, 5, 9, 15]
    by_decord = open_video(path, 'decord').read_frames(indices)
    by_pyav = open_video(path, 'pyav').read_frames(indices)
    difference = np.abs(by_decord.astype(int) - by_pyav.astype(int))
    assert difference.mean() < 1 and difference.max() <= 8


def test_decord_and_pyav_agree_on_real_h264(bikes_video):
    # H.264 with B-frames: the decode order differs from the display order.
    indices = [0, 40, 41, 130, 249]
    by_decord = open_video(bikes_video, 'decord').read_frames(indices)
    by_pyav = open_video(bikes_video, 'pyav').read_frames(indices)
    assert by_decord.shape == (5, 272, 640, 3)
    difference = np.abs(by_decord.astype(int) - by_pyav.astype(int))
    assert difference.mean() < 2
    # Consecutive frames differ, so a one-frame shift would show.
    assert np.abs(by_pyav[1].astype(int) - by_pyav[2]).mean() > 2 * (
        difference[1].mean() + 0.5)


@pytest.mark.parametrize('backend', ['decord', 'pyav'])
def test_undecodable_frames_fall_back_to_last_decodable(
        partly_broken_video, backend):
    results = load(partly_broken_video, [0, 2, 4, 5, 7], backend)
    assert results['total_frames'] == 8
    levels = frame_levels(results['imgs'])
    np.testing.assert_allclose(
        levels, [INDEXED_LEVELS[index] for index in (0, 2, 4, 4, 4)], atol=6)


@pytest.mark.parametrize('backend', ['decord', 'pyav'])
def test_indices_past_the_end_get_the_last_frame(indexed_video, backend):
    frames = open_video(indexed_video, backend).read_frames([10, 12, 20])
    np.testing.assert_allclose(
        frame_levels(frames), [INDEXED_LEVELS[10]] + 2 * [INDEXED_LEVELS[11]],
        atol=6)


@pytest.mark.parametrize('backend', ['auto', 'decord', 'pyav'])
def test_missing_and_corrupt_files_name_the_file(tmp_path, corrupt_video,
                                                 backend):
    missing = str(tmp_path / 'missing.mp4')
    with pytest.raises(VideoDecodeError, match='missing.mp4.*does not exist'):
        VideoInit(backend)(dict(video_path=missing))
    with pytest.raises(VideoDecodeError, match='corrupt.mp4') as error:
        VideoInit(backend)(dict(video_path=corrupt_video))
    assert error.value.path == corrupt_video


def test_file_without_decodable_frames(tmp_path):
    path = str(tmp_path / 'garbage_packets.mp4')
    with av.open(path, 'w') as container:
        stream = container.add_stream('mpeg4', rate=8)
        stream.width, stream.height, stream.pix_fmt = 32, 32, 'yuv420p'
        frame = av.VideoFrame.from_ndarray(
            np.zeros((32, 32, 3), np.uint8), format='rgb24')
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            garbage = av.Packet(bytes(packet.size))
            garbage.pts, garbage.dts = packet.pts, packet.dts
            garbage.time_base, garbage.stream = packet.time_base, stream
            container.mux(garbage)
    # PyAV opens the container (it lists one frame) but decodes nothing.
    results = VideoInit('pyav')(dict(video_path=path))
    results['frame_inds'] = np.array([0])
    with pytest.raises(
            VideoDecodeError, match='garbage_packets.mp4.*no '
            'decodable frame'):
        VideoDecode()(results)
    assert 'video_reader' not in results
    with pytest.raises(VideoDecodeError, match='garbage_packets.mp4'):
        load(path, [0], 'auto')


def test_unknown_backend():
    with pytest.raises(ValueError, match='Unknown video backend'):
        open_video('x.mp4', 'opencv')


def naive_segments(total, num):
    """Segment i as a list of frames, by a plain loop over frames."""
    segments = []
    for i in range(num):
        start = i * total // num
        stop = max((i + 1) * total // num, start + 1)
        segments.append(list(range(start, stop)))
    return segments


@pytest.mark.parametrize('total,num', [(1, 8), (3, 8), (8, 8), (12, 8),
                                       (16, 8), (17, 8), (251, 8), (100, 32),
                                       (5, 1)])
def test_train_sampling_stays_in_segments(total, num):
    np.random.seed(0)
    sampler = SampleFrames(num)
    segments = naive_segments(total, num)
    seen = [set() for _ in range(num)]
    for _ in range(300):
        indices = sampler(dict(total_frames=total))['frame_inds']
        assert indices.dtype == np.int64 and indices.shape == (num, )
        for i, index in enumerate(indices):
            assert index in segments[i]
            seen[i].add(int(index))
    # Every frame of a short segment is drawn at some point.
    for i, segment in enumerate(segments):
        if len(segment) <= 4:
            assert seen[i] == set(segment)


@pytest.mark.parametrize('total,num', [(1, 8), (3, 8), (12, 8), (16, 8),
                                       (17, 8), (251, 8), (100, 32)])
def test_test_sampling_takes_segment_centres(total, num):
    indices = SampleFrames(
        num, test_mode=True)(dict(total_frames=total))['frame_inds']
    for index, segment in zip(indices, naive_segments(total, num)):
        assert index in segment
        # The frame whose span [f, f + 1) holds the segment's midpoint.
        midpoint = (segment[0] + segment[-1] + 1) / 2
        assert abs(index + 0.5 - midpoint) <= 1


def test_sampling_hand_computed():
    test_sampler = SampleFrames(8, test_mode=True)
    assert test_sampler.sample(16).tolist() == [1, 3, 5, 7, 9, 11, 13, 15]
    assert test_sampler.sample(3).tolist() == [0, 0, 0, 1, 1, 1, 2, 2]
    assert test_sampler.sample(1).tolist() == [0] * 8
    # Fewer frames than segments: training repeats frames in order too.
    assert SampleFrames(8).sample(3).tolist() == [0, 0, 0, 1, 1, 1, 2, 2]


def test_bikes_through_the_test_pipeline(bikes_video):
    pipeline = [
        VideoInit(),
        SampleFrames(8, test_mode=True),
        VideoDecode(),
        Resize((-1, 256)),
        CenterCrop(224),
        PackVideoTextInputs(),
    ]
    results = dict(video_path=bikes_video, video_id='bikes', video_index=0)
    for transform in pipeline:
        results = transform(results)
    imgs = results['inputs']['imgs']
    assert imgs.shape == (3, 8, 224, 224) and str(imgs.dtype) == 'torch.uint8'
    assert results['data_samples'].video_path == bikes_video
    # Segment centres of 250 frames: 15, 46, 78, ...; frames differ.
    assert imgs[:, 0].float().sub(imgs[:, -1].float()).abs().mean() > 5


def naive_view_frame(total, num, views, view, segment):
    """Frame of ``view`` in ``segment`` by walking the frames: the one whose
    span [f, f + 1) holds the point at relative offset (view + 0.5) / views
    of the segment, measured in the continuous time [0, total)."""
    seg_start, seg_stop = segment * total / num, (segment + 1) * total / num
    point = seg_start + (view + 0.5) / views * (seg_stop - seg_start)
    frames = naive_segments(total, num)[segment]
    for frame in frames:
        if frame <= point < frame + 1:
            return frame
    return frames[-1]  # a one-frame segment of a too-short video


@pytest.mark.parametrize('total,num,views', [(250, 8, 4), (100, 8, 3),
                                             (33, 8, 2), (12, 8, 4),
                                             (3, 8, 4), (64, 4, 1)])
def test_multi_view_test_sampling_against_a_naive_walk(total, num, views):
    results = SampleFrames(
        num, num_views=views, test_mode=True)(dict(total_frames=total))
    assert results['num_views'] == views and results['num_frames'] == num
    indices = results['frame_inds']
    assert indices.dtype == np.int64 and indices.shape == (views * num, )
    expected = [
        naive_view_frame(total, num, views, view, segment)
        for view in range(views) for segment in range(num)
    ]
    assert indices.tolist() == expected


def test_multi_view_hand_computed():
    # 64 frames, 8 segments of 8 frames, 4 views: offsets 1, 3, 5, 7 of each
    # segment; each view is a strided 8-frame clip over the whole video.
    indices = SampleFrames(8, num_views=4, test_mode=True).sample(64)
    views = indices.reshape(4, 8)
    for view, offset in enumerate((1, 3, 5, 7)):
        assert views[view].tolist() == list(range(offset, 64, 8))
    # One view is the segment midpoint sampling.
    assert SampleFrames(8, test_mode=True).sample(64).tolist() == list(
        range(4, 64, 8))


def test_multi_view_training_draws_each_view_in_the_segments():
    np.random.seed(1)
    indices = SampleFrames(8, num_views=3)(dict(total_frames=80))['frame_inds']
    views = indices.reshape(3, 8)
    for view in views:
        assert all(10 * i <= index < 10 * (i + 1)
                   for i, index in enumerate(view))
    assert not (views[0] == views[1]).all()  # drawn independently


def test_num_views_defaults_to_one_and_is_validated():
    assert SampleFrames(8)(dict(total_frames=10))['num_views'] == 1
    with pytest.raises(ValueError, match='num_views'):
        SampleFrames(8, num_views=0)


def test_multi_view_decodes_view_major(indexed_video):
    results = SampleFrames(
        4, num_views=2, test_mode=True)(VideoInit()(dict(
            video_path=indexed_video)))
    # 12 frames, 4 segments of 3: view 0 at offset 0.75, view 1 at 2.25.
    assert results['frame_inds'].tolist() == [0, 3, 6, 9, 2, 5, 8, 11]
    imgs = VideoDecode()(results)['imgs']
    np.testing.assert_allclose(
        frame_levels(imgs),
        [INDEXED_LEVELS[index] for index in results['frame_inds']],
        atol=6)
