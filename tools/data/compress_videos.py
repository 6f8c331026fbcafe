"""Re-encode a tree of videos to a low frame rate and a small short side, so
that training decodes far fewer pixels per sampled clip.

Every video under ``src_dir`` becomes an H.264 ``.mp4`` at the same relative
path under ``dst_dir`` (``a/b.webm`` -> ``a/b.mp4``), with:

- ``--fps`` frames per second (default 8; a source with a lower rate keeps
  its rate). Clover samples 8 frames per clip, one per segment (TSN), so a
  video of 8 s or more still offers at least 8 different frames to draw from
  in each segment, while decoding is 3-4x cheaper than at 25-30 fps.
- a short side of ``--short-side`` pixels (default 224, the training crop
  size; a smaller source is not upscaled), aspect ratio kept, both sides even
  (H.264 4:2:0), rotation metadata applied to the pixels;
- a keyframe every second, so reaching a random frame decodes at most
  ``fps`` frames;
- no audio.

Outputs that already exist are skipped, so an interrupted run resumes; a file
is written under a temporary name and renamed when complete. Inputs are never
written: ``dst_dir`` must lie outside ``src_dir``. Failures are listed with
their file names and the exit status is 1. Example::

    python tools/data/compress_videos.py data/webvid/videos_raw \
        data/webvid/videos --workers 16
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import List, NamedTuple, Optional, Sequence, Tuple

import av

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.flv',
                    '.mpg', '.mpeg', '.wmv', '.3gp', '.gif')


class Job(NamedTuple):
    """One video to re-encode."""
    source: str
    target: str


def find_jobs(src_dir: str, dst_dir: str,
              extensions: Sequence[str] = VIDEO_EXTENSIONS) -> List[Job]:
    """Every video under ``src_dir`` (sorted), with its ``.mp4`` target.

    Raises:
        ValueError: If ``dst_dir`` is ``src_dir`` or lies inside it, or two
            sources map to the same target (``a.avi`` and ``a.mkv``).
    """
    src_dir, dst_dir = osp.realpath(src_dir), osp.realpath(dst_dir)
    if osp.commonpath([src_dir, dst_dir]) == src_dir:
        raise ValueError(f'dst_dir {dst_dir!r} must lie outside src_dir '
                         f'{src_dir!r}: inputs are never overwritten')
    jobs = []
    for root, dirs, files in os.walk(src_dir):
        dirs.sort()
        for name in sorted(files):
            if name.lower().endswith(tuple(extensions)):
                relative = osp.relpath(osp.join(root, name), src_dir)
                target = osp.join(dst_dir, osp.splitext(relative)[0] + '.mp4')
                jobs.append(Job(osp.join(root, name), target))
    targets = [job.target for job in jobs]
    duplicates = sorted({target for target in targets
                         if targets.count(target) > 1})
    if duplicates:
        raise ValueError(f'Several sources would be written to {duplicates}')
    return jobs


def source_rate(path: str) -> Optional[float]:
    """The video stream's average frame rate, None when unknown."""
    with av.open(path) as container:
        if not container.streams.video:
            raise ValueError('the file has no video stream')
        rate = container.streams.video[0].average_rate
        return float(rate) if rate else None


def ffmpeg_command(job: Job, fps: float, short_side: int, crf: int,
                   preset: str, output: str) -> List[str]:
    """The ffmpeg command line that writes ``job.source`` to ``output``."""
    rate = source_rate(job.source)
    fps = fps if rate is None else min(fps, rate)
    # Short side min(short_side, source) rounded down to even; -2 keeps the
    # ratio with an even long side.
    short = f'trunc(min({short_side},min(iw,ih))/2)*2'
    scale = f"scale='if(gte(iw,ih),-2,{short})':'if(gte(iw,ih),{short},-2)'"
    return [
        'ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', job.source, '-map',
        '0:v:0', '-an', '-sn', '-dn', '-vf', f'fps={fps:g},{scale}', '-c:v',
        'libx264', '-preset', preset, '-crf', str(crf), '-pix_fmt', 'yuv420p',
        '-g', str(max(1, round(fps))), '-threads', '1', '-movflags',
        '+faststart', '-f', 'mp4', output
    ]


def compress(job: Job, fps: float, short_side: int, crf: int,
             preset: str) -> Tuple[Job, str]:
    """Re-encode one video.

    Returns:
        tuple[Job, str]: The job and ``'done'``, ``'skipped'`` (the target
        exists) or ``'failed: <reason>'``.
    """
    if osp.isfile(job.target) and osp.getsize(job.target) > 0:
        return job, 'skipped'
    os.makedirs(osp.dirname(job.target), exist_ok=True)
    partial = job.target + '.partial'
    try:
        command = ffmpeg_command(job, fps, short_side, crf, preset, partial)
        subprocess.run(command, check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as error:
        lines = error.stderr.strip().splitlines() or ['no message']
        outcome = f'failed: ffmpeg: {lines[-1]}'
    except (ValueError, av.FFmpegError, OSError) as error:
        outcome = f'failed: {error}'
    else:
        os.replace(partial, job.target)
        return job, 'done'
    if osp.isfile(partial):
        os.remove(partial)
    return job, outcome


def run(src_dir: str,
        dst_dir: str,
        fps: float = 8,
        short_side: int = 224,
        crf: int = 23,
        preset: str = 'veryfast',
        workers: int = 1) -> List[Tuple[Job, str]]:
    """Re-encode every video of ``src_dir`` into ``dst_dir`` with ``workers``
    ffmpeg processes (one thread each) at a time.

    Returns:
        list[tuple[Job, str]]: Each job with its outcome (see
        :func:`compress`), in source order.
    """
    jobs = find_jobs(src_dir, dst_dir)
    with ThreadPoolExecutor(max(1, workers)) as pool:
        outcomes = pool.map(
            lambda job: compress(job, fps, short_side, crf, preset), jobs)
        return list(outcomes)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src_dir')
    parser.add_argument('dst_dir')
    parser.add_argument('--fps', type=float, default=8)
    parser.add_argument('--short-side', type=int, default=224)
    parser.add_argument('--crf', type=int, default=23,
                        help='x264 quality (lower is better)')
    parser.add_argument('--preset', default='veryfast')
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    try:
        outcomes = run(args.src_dir, args.dst_dir, args.fps, args.short_side,
                       args.crf, args.preset, args.workers)
    except ValueError as error:
        parser.error(str(error))
    failures = [(job, outcome) for job, outcome in outcomes
                if outcome.startswith('failed')]
    counts = {key: sum(outcome.startswith(key) for _, outcome in outcomes)
              for key in ('done', 'skipped')}
    print(f'{counts["done"]} re-encoded, {counts["skipped"]} skipped '
          f'(already there), {len(failures)} failed')
    for job, outcome in failures:
        print(f'{job.source}: {outcome}', file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
