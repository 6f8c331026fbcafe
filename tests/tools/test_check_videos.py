"""tools/misc/check_videos.py on a corpus with broken files mixed in: it must
list exactly those, and the clean annotation file must lack exactly them."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import av
import numpy as np
import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO_ROOT, 'tools', 'misc', 'check_videos.py')
NUM_GOOD = 4


def write_mpeg4(path: str, num_frames: int, gop_size: int = 4) -> None:
    """A 32x32 MPEG-4 Part 2 MP4 with a keyframe every ``gop_size`` frames;
    frame i shows a bar at row 2i, so frames differ."""
    with av.open(path, 'w') as container:
        stream = container.add_stream('mpeg4', rate=8)
        stream.width = stream.height = 32
        stream.pix_fmt = 'yuv420p'
        stream.codec_context.gop_size = gop_size
        for index in range(num_frames):
            image = np.zeros((32, 32, 3), np.uint8)
            image[..., 0] = (10 + 15 * index) % 256
            image[2 * index % 32:2 * index % 32 + 4] = 255
            frame = av.VideoFrame.from_ndarray(image, format='rgb24')
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def zero_second_keyframe(source: str, target: str) -> None:
    with av.open(source) as container:
        keyframes = [(packet.pos, packet.size)
                     for packet in container.demux(video=0)
                     if packet.size and packet.is_keyframe]
    position, size = keyframes[1]
    data = bytearray(open(source, 'rb').read())
    data[position + size // 3:position + size] = bytes(size - size // 3)
    open(target, 'wb').write(data)


def garble_frame(source: str, target: str, frame: int) -> None:
    """Copy ``source`` with the packet of frame ``frame`` (no B-frames:
    decode order is presentation order) overwritten by random bytes."""
    with av.open(source) as container:
        packets = [(packet.pos, packet.size)
                   for packet in container.demux(video=0) if packet.size]
    position, size = packets[frame]
    data = bytearray(open(source, 'rb').read())
    data[position:position + size] = np.random.default_rng(0).bytes(size)
    open(target, 'wb').write(data)


@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    """Good videos and one of each problem; returns the annotation file and
    the expected problem of each bad video file name."""
    root = tmp_path_factory.mktemp('check_videos')
    videos = root / 'videos'
    videos.mkdir()
    (root / 'annotations').mkdir()
    good = [f'good_{index}.mp4' for index in range(NUM_GOOD)]
    for name in good:
        write_mpeg4(str(videos / name), 16)
    write_mpeg4(str(videos / 'short.mp4'), 3)
    whole = (videos / 'good_0.mp4').read_bytes()
    # The MP4 index (moov) comes last: a cut file cannot be opened.
    (videos / 'truncated.mp4').write_bytes(whole[:len(whole) * 2 // 3])
    (videos / 'empty.mp4').write_bytes(b'')
    (videos / 'notes.mp4').write_text('not a video\n')
    zero_second_keyframe(str(videos / 'good_1.mp4'),
                         str(videos / 'damaged.mp4'))
    # 48 frames in runs of 12: 8 test-mode samples read frames 3, 9, 15, ...
    # so none decodes frame 10, yet its loss shifts frames 11-47.
    write_mpeg4(str(videos / 'long.mp4'), 48, gop_size=12)
    garble_frame(str(videos / 'long.mp4'), str(videos / 'garbled.mp4'), 10)
    expected = {
        'short.mp4': 'too-short',
        'truncated.mp4': 'undecodable',
        'empty.mp4': 'undecodable',
        'notes.mp4': 'undecodable',
        'missing.mp4': 'undecodable',
        'damaged.mp4': 'frame-inexact',
        'garbled.mp4': 'frame-inexact',
    }
    names = good[:2] + list(expected) + good[2:] + ['long.mp4']
    # A QA file lists a video once per question: good_0 and notes twice.
    records = [
        dict(question_id=f'q{index}', video_id=name[:-4], video=name,
             question='what is it?', answer='a bar')
        for index, name in enumerate(names + ['good_0.mp4', 'notes.mp4'])
    ]
    ann_file = root / 'annotations' / 'train.json'
    ann_file.write_text(
        json.dumps(dict(metainfo=dict(task='qa_open', split='train'),
                        data_list=records)))
    return str(ann_file), expected, records


def run_check(*args):
    """The tool as a user runs it, in a subprocess, on this checkout's
    clover (not another installed copy)."""
    env = dict(os.environ, OMP_NUM_THREADS='1', COLUMNS='200',
               PYTHONPATH=os.pathsep.join(
                   path for path in (REPO_ROOT, os.environ.get('PYTHONPATH'))
                   if path))
    return subprocess.run([sys.executable, TOOL, *args], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope='module')
def check_videos():
    """The tool as a module, to run more cases in this process."""
    spec = importlib.util.spec_from_file_location('check_videos', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reported(stdout):
    """Problem of each file name the tool lists."""
    found = {}
    for line in stdout.splitlines():
        words = line.split()
        if words and words[0] in ('undecodable', 'zero-frame', 'too-short',
                                  'frame-inexact'):
            found[osp.basename(words[1].rstrip(':'))] = words[0]
    return found


def check_clean_file(ann_file, original, expected, records):
    # The original is untouched; the clean file lacks exactly the records
    # of the bad videos (both questions on notes.mp4).
    assert open(ann_file).read() == original
    with open(ann_file.replace('.json', '.clean.json')) as file:
        clean = json.load(file)
    assert clean['metainfo'] == json.loads(original)['metainfo']
    assert clean['data_list'] == [
        record for record in records if record['video'] not in expected
    ]
    return clean


def test_lists_exactly_the_broken_files(corpus, check_videos, capsys):
    ann_file, expected, records = corpus
    original = open(ann_file).read()
    proc = run_check(ann_file, '--workers', '2')
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert reported(proc.stdout) == expected, proc.stdout
    clean = check_clean_file(ann_file, original, expected, records)
    # A second run refuses to overwrite the clean file.
    with pytest.raises(SystemExit, match='clean.json exists'):
        check_videos.main([ann_file, '--workers', '1'])
    assert json.load(open(ann_file.replace('.json', '.clean.json'))) == clean
    # Reading only the sampled frames misses the garbled frame between them.
    os.remove(ann_file.replace('.json', '.clean.json'))
    capsys.readouterr()
    assert check_videos.main([ann_file, '--workers', '1',
                              '--sampled-only']) == 1
    quick = dict(expected)
    del quick['garbled.mp4']
    assert reported(capsys.readouterr().out) == quick
    check_clean_file(ann_file, original, quick, records)
    os.remove(ann_file.replace('.json', '.clean.json'))


def test_clean_corpus_passes(corpus, check_videos, capsys, tmp_path):
    ann_file, expected, records = corpus
    clean_ann = tmp_path / 'annotations' / 'train.json'
    clean_ann.parent.mkdir()
    clean_ann.write_text(json.dumps(dict(data_list=[
        record for record in records if record['video'] not in expected
    ])))
    video_root = osp.join(osp.dirname(osp.dirname(ann_file)), 'videos')
    assert check_videos.main(
        [str(clean_ann), '--video-root', video_root, '--workers', '1']) == 0
    assert reported(capsys.readouterr().out) == {}
    assert not (tmp_path / 'annotations' / 'train.clean.json').exists()


def test_config_gives_the_clip_length(corpus, check_videos, capsys,
                                      tmp_path):
    # With 2-frame clips the 3-frame video is long enough.
    ann_file, expected, _ = corpus
    config = tmp_path / 'config.py'
    config.write_text(
        f'train_dataloader = dict(dataset=dict(type="VideoQADataset", '
        f'ann_file={ann_file!r}, data_prefix=dict(video='
        f'{osp.join(osp.dirname(osp.dirname(ann_file)), "videos")!r}), '
        'pipeline=[dict(type="VideoInit"), dict(type="SampleFrames", '
        'num_frames=2), dict(type="VideoDecode")]))\n')
    clean_file = ann_file.replace('.json', '.clean.json')
    if osp.exists(clean_file):
        os.remove(clean_file)
    assert check_videos.main([str(config), '--workers', '1']) == 1
    found = reported(capsys.readouterr().out)
    assert found == {
        name: problem
        for name, problem in expected.items() if name != 'short.mp4'
    }
    os.remove(clean_file)
