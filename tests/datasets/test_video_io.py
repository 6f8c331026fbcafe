"""The video readers on real encoded files: every codec, container and layout
the corpora hold must decode to the same frames, in the same orientation,
whichever backend reads them."""
import subprocess

import av
import cv2
import numpy as np
import pytest

from clover.datasets import VideoDecodeError, open_video
from clover.datasets.transforms import SampleFrames, VideoDecode, VideoInit

BACKENDS = ('decord', 'pyav')


def ffmpeg_decode_all(path: str) -> np.ndarray:
    """Every frame as the ffmpeg command line shows it (rotation applied, no
    frame dropped or duplicated): uint8 ``(T, H, W, 3)`` RGB."""
    ppm_stream = subprocess.run([
        'ffmpeg', '-v', 'error', '-i', path, '-fps_mode', 'passthrough',
        '-f', 'image2pipe', '-c:v', 'ppm', '-'
    ],
                                check=True,
                                capture_output=True).stdout
    # Binary PPM frames: b'P6\n<width> <height>\n255\n' + RGB bytes.
    header = ppm_stream.split(b'\n', 3)
    width, height = (int(side) for side in header[1].split())
    header_size = sum(len(part) + 1 for part in header[:3])
    frame_size = header_size + width * height * 3
    frames = np.frombuffer(ppm_stream, np.uint8).reshape(-1, frame_size)
    return frames[:, header_size:].reshape(-1, height, width, 3)


def read_all(path, backend):
    reader = open_video(path, backend)
    try:
        return reader.read_frames(range(reader.num_frames))
    finally:
        reader.close()


def mean_abs_diff(first, second):
    return np.abs(first.astype(int) - second.astype(int)).mean()


@pytest.mark.parametrize('name', [
    'h264_mp4', 'vp9_webm', 'hevc_mkv', 'mjpeg_avi', 'odd_size_mp4',
    'vfr_mp4', 'rot90_mp4', 'rot270_mp4'
])
@pytest.mark.parametrize('backend', BACKENDS)
def test_frames_match_the_ffmpeg_command_line(ffmpeg_videos, name, backend):
    # ffmpeg shows every frame once, in display orientation: frame i of the
    # readers must be its frame i, whatever the codec, size, frame timing or
    # rotation metadata.
    expected = ffmpeg_decode_all(ffmpeg_videos[name])
    assert len(expected) == 24
    frames = read_all(ffmpeg_videos[name], backend)
    assert frames.shape == expected.shape
    per_frame = [mean_abs_diff(ours, theirs)
                 for ours, theirs in zip(frames, expected)]
    # Colour conversion rounding only; neighbouring frames differ far more.
    assert max(per_frame) < 2
    assert mean_abs_diff(expected[10], expected[13]) > 4 * max(per_frame)


def test_sizes_and_rotation_by_hand(ffmpeg_videos):
    upright = read_all(ffmpeg_videos['h264_mp4'], 'pyav')
    assert upright.shape == (24, 40, 96, 3)
    assert read_all(ffmpeg_videos['odd_size_mp4'],
                    'decord').shape == (24, 41, 95, 3)
    for backend in BACKENDS:
        # rotate=90 shows the picture turned a quarter counter-clockwise (as
        # the ffmpeg command line does, checked above); the streams are the
        # same bits, so the frames are equal exactly.
        for name, turns in (('rot90_mp4', 1), ('rot270_mp4', 3)):
            rotated = read_all(ffmpeg_videos[name], backend)
            assert rotated.shape == (24, 96, 40, 3)
            np.testing.assert_array_equal(
                rotated, np.rot90(upright, turns, axes=(1, 2)))


def test_variable_frame_rate_indexes_in_decode_order(ffmpeg_videos):
    path = ffmpeg_videos['vfr_mp4']
    with av.open(path) as container:
        steps = np.diff([frame.pts for frame in container.decode(video=0)])
    # The file really is VFR: frames 12-23 last 3.5 times longer.
    assert steps[12:].min() > 2 * steps[:11].max()
    for backend in BACKENDS:
        reader = open_video(path, backend)
        assert reader.num_frames == 24
        reader.close()


@pytest.mark.parametrize('backend', ('auto', ) + BACKENDS)
def test_audio_only_file_names_the_file(ffmpeg_videos, backend):
    with pytest.raises(VideoDecodeError, match=r'audio\.m4a'):
        VideoInit(backend)(dict(video_path=ffmpeg_videos['audio_only']))


@pytest.mark.parametrize('backend', ('auto', ) + BACKENDS)
def test_container_without_frames_names_the_file(tmp_path, backend):
    path = str(tmp_path / 'empty.mp4')
    with av.open(path, 'w') as container:
        stream = container.add_stream('mpeg4', rate=8)
        stream.width, stream.height, stream.pix_fmt = 32, 32, 'yuv420p'
    with pytest.raises(VideoDecodeError, match=r'empty\.mp4'):
        results = VideoInit(backend)(dict(video_path=path))
        results['frame_inds'] = np.zeros(1, np.int64)
        VideoDecode()(results)


def write_opencv(path, fourcc, levels, size):
    """Uniform grey frames of the given levels with OpenCV's writer."""
    width, height = size
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), 8,
                             (width, height))
    for level in levels:
        writer.write(np.full((height, width, 3), level, np.uint8))
    writer.release()
    return path


@pytest.mark.parametrize('fourcc,ext', [('mp4v', 'mp4'), ('MJPG', 'avi')])
def test_two_frame_opencv_video_sampled_eight_times(tmp_path, fourcc, ext):
    # OpenCV asked for 33x27 writes the even 32x26 picture both codecs need.
    path = write_opencv(str(tmp_path / f'two.{ext}'), fourcc, (30, 200),
                        (33, 27))
    for backend in BACKENDS:
        results = SampleFrames(8, test_mode=True)(
            VideoInit(backend)(dict(video_path=path)))
        assert results['frame_inds'].tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
        imgs = VideoDecode()(results)['imgs']
        assert imgs.shape == (8, 26, 32, 3)
        levels = imgs.reshape(8, -1).mean(axis=1)
        np.testing.assert_allclose(levels, [30] * 4 + [200] * 4, atol=6)


@pytest.mark.parametrize('fixture', ['bikes_video', 'bigbuckbunny_video',
                                     'carphone_video'])
def test_decord_and_pyav_agree_on_sample_videos(request, fixture):
    path = request.getfixturevalue(fixture)
    readers = [open_video(path, backend) for backend in BACKENDS]
    assert readers[0].num_frames == readers[1].num_frames
    indices = SampleFrames(8, test_mode=True).sample(readers[0].num_frames)
    by_decord, by_pyav = (reader.read_frames(indices) for reader in readers)
    assert by_decord.shape == by_pyav.shape
    assert mean_abs_diff(by_decord, by_pyav) < 2
