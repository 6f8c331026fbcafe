"""tools/data/compress_videos.py: outputs have the promised size, frame rate
and layout, existing outputs are kept, failures are named, inputs are safe."""
import importlib.util
import os
import os.path as osp
import shutil
import subprocess
import sys

import av
import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL_PATH = osp.join(REPO_ROOT, 'tools', 'data', 'compress_videos.py')

needs_ffmpeg = pytest.mark.skipif(
    shutil.which('ffmpeg') is None,
    reason='the ffmpeg command line is not installed')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('compress_videos',
                                                  TOOL_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_video(path, size, rate, seconds, extra=()):
    """A moving test pattern with a sine audio track."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    subprocess.run([
        'ffmpeg', '-v', 'error', '-y', '-f', 'lavfi', '-i',
        f'testsrc2=size={size}:rate={rate}:duration={seconds}', '-f',
        'lavfi', '-i', f'sine=duration={seconds}', '-shortest', *extra, path
    ],
                   check=True)
    return path


def probe(path):
    """(width, height, frame rate, decoded frames, audio streams)."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        return (stream.width, stream.height, float(stream.average_rate),
                frames, len(container.streams.audio))


@pytest.fixture(scope='module')
def source_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp('raw')
    make_video(str(root / 'a' / 'wide.mp4'), '480x270', 25, 2)
    # Odd-sized portrait MJPEG smaller than the target: never upscaled.
    make_video(str(root / 'b' / 'tall.avi'), '121x215', 30, 1,
               ('-c:v', 'mjpeg'))
    make_video(str(root / 'slow.mkv'), '320x240', 5, 2)
    # Stored 480x270, shown as 270x480 (ffmpeg writes rotation metadata
    # only when copying the stream).
    upright = make_video(str(tmp_path_factory.mktemp('plain') / 'up.mp4'),
                         '480x270', 8, 1)
    subprocess.run([
        'ffmpeg', '-v', 'error', '-y', '-i', upright, '-c', 'copy',
        '-metadata:s:v', 'rotate=90',
        str(root / 'turned.mp4')
    ],
                   check=True)
    (root / 'broken.webm').write_bytes(b'not a video at all')
    (root / 'notes.txt').write_text('not a video, ignored')
    return str(root)


@needs_ffmpeg
def test_compress_tree(tool, source_tree, tmp_path, capsys):
    out_dir = str(tmp_path / 'small')
    before = {name: osp.getmtime(osp.join(root, name))
              for root, _, names in os.walk(source_tree) for name in names}
    assert tool.main([source_tree, out_dir, '--workers', '2']) == 1
    captured = capsys.readouterr()
    assert '4 re-encoded, 0 skipped' in captured.out and '1 failed' in (
        captured.out)
    assert 'broken.webm: failed' in captured.err
    # 480x270 -> short side 224: 2 * round(480 * 224 / 270 / 2) = 398.
    # 2 s at 25 fps -> 8 fps gives 16 frames; audio dropped.
    assert probe(osp.join(out_dir, 'a', 'wide.mp4')) == (398, 224, 8.0, 16,
                                                         0)
    # 121x215 stays below 224: short side 121 -> even 120, long side
    # 2 * round(215 * 120 / 121 / 2) = 2 * round(106.6) = 214.
    width, height, rate, frames, _ = probe(osp.join(out_dir, 'b', 'tall.mp4'))
    assert (width, height, rate, frames) == (120, 214, 8.0, 8)
    # A 5 fps source keeps its 5 fps (no duplicated frames).
    assert probe(osp.join(out_dir, 'slow.mp4'))[2:4] == (5.0, 10)
    # Rotation is applied to the pixels and not stored again.
    turned = osp.join(out_dir, 'turned.mp4')
    assert probe(turned)[:2] == (224, 398)
    with av.open(turned) as container:
        assert next(container.decode(video=0)).rotation == 0
    assert not osp.exists(osp.join(out_dir, 'broken.mp4'))
    assert not any(name.endswith('.partial')
                   for _, _, names in os.walk(out_dir) for name in names)
    after = {name: osp.getmtime(osp.join(root, name))
             for root, _, names in os.walk(source_tree) for name in names}
    assert after == before  # inputs untouched

    # A second run keeps what is there.
    kept = osp.getmtime(osp.join(out_dir, 'a', 'wide.mp4'))
    outcomes = dict((osp.basename(job.source), outcome)
                    for job, outcome in tool.run(source_tree, out_dir))
    assert outcomes['wide.mp4'] == outcomes['tall.avi'] == 'skipped'
    assert outcomes['broken.webm'].startswith('failed')
    assert osp.getmtime(osp.join(out_dir, 'a', 'wide.mp4')) == kept


def test_refuses_to_write_into_the_source_tree(tool, tmp_path):
    source_tree = str(tmp_path / 'raw')
    os.makedirs(osp.join(source_tree, 'a'))
    for out_dir in (source_tree, osp.join(source_tree, 'a', 'small')):
        with pytest.raises(ValueError, match='outside src_dir'):
            tool.find_jobs(source_tree, out_dir)
    # A sibling whose name starts like the source is outside it.
    assert tool.find_jobs(source_tree, source_tree + '_small') == []


def test_refuses_two_sources_for_one_target(tool, tmp_path):
    for name in ('clip.avi', 'clip.mkv'):
        (tmp_path / 'src').mkdir(exist_ok=True)
        (tmp_path / 'src' / name).write_bytes(b'')
    with pytest.raises(ValueError, match='clip.mp4'):
        tool.find_jobs(str(tmp_path / 'src'), str(tmp_path / 'dst'))


@needs_ffmpeg
def test_command_line_entry(source_tree, tmp_path):
    result = subprocess.run(
        [sys.executable, TOOL_PATH, source_tree,
         str(tmp_path / 'out'), '--short-side', '112', '--fps', '4'],
        capture_output=True, text=True)
    assert result.returncode == 1 and 'broken.webm' in result.stderr
    width, height, rate, frames, _ = probe(
        str(tmp_path / 'out' / 'a' / 'wide.mp4'))
    # ffmpeg rounds a -2 side to the nearest multiple of 2 of the exact
    # value: 480 * 112 / 270 = 199.1 -> 2 * round(99.56) = 200.
    assert (width, height) == (200, 112)
    assert (rate, frames) == (4.0, 8)
