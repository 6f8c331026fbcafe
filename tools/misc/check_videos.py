"""Check every video of a corpus before training, and write a cleaned
annotation file without the bad ones.

Each video is opened with Clover's exact reader, in parallel processes: the
frames the pipeline samples in test mode are read, and every frame is decoded
once (no colour conversion) with the reader's timestamp checks, because
training samples any frame and a damaged packet shifts the frames after it
(``--sampled-only`` skips this pass). A video is reported as

- ``undecodable``: missing, not a video, or the decoder fails on it;
- ``zero-frame``: the container lists no frame, or none decodes;
- ``too-short``: fewer frames than the pipeline's clip takes
  (``SampleFrames.num_frames``; shorter videos would repeat frames);
- ``frame-inexact``: a timestamp check fails (a damaged packet, a dropped or
  corrupt frame), so random access cannot vouch for the frames; or a file
  decoded sequentially (AVI, MPEG-TS, ...) decodes fewer frames than it
  lists; or the config asks for ``backend='decord'`` and decord misreads the
  file.

For each annotation file with a problem, ``<name>.clean.json`` is written
beside it without the records of the bad videos (every record naming one:
QA files list a video once per question). The original is never touched, and
an existing clean file is not overwritten. The exit code is 1 when a problem
was found, 0 otherwise. Examples::

    python tools/misc/check_videos.py configs/demo/clover_retrieval_demo.py
    python tools/misc/check_videos.py data/msvd_qa/annotations/train.json \\
        --video-root data/msvd/videos --num-frames 16 --workers 8
"""
import argparse
import json
import multiprocessing
import os.path as osp
import sys
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

from rich.progress import (BarColumn, MofNCompleteColumn, Progress,
                           TextColumn, TimeElapsedColumn, TimeRemainingColumn)

from clover.datasets.transforms import SampleFrames
from clover.datasets.video_io import (FrameInexactError, VideoDecodeError,
                                      open_video)
from clover.utils.console import rich_console

PROBLEMS = ('undecodable', 'zero-frame', 'too-short', 'frame-inexact')


@dataclass
class VideoCheck:
    """How one video is checked (picklable, sent to the worker processes).

    Attributes:
        path (str): The video file.
        num_frames (int): Frames per view of the pipeline's clip.
        num_views (int): Test views of the pipeline.
        backend (str): The pipeline's ``VideoInit`` backend.
        sampled_only (bool): Skip the pass over every frame.
    """

    path: str
    num_frames: int
    num_views: int = 1
    backend: str = 'auto'
    sampled_only: bool = False


@dataclass
class AnnotationFile:
    """An annotation file and how its pipeline reads the videos."""

    path: str
    video_root: str
    num_frames: int
    num_views: int = 1
    backend: str = 'auto'
    records: List[dict] = field(default_factory=list)

    def video_path(self, record: dict) -> str:
        return osp.join(self.video_root, record['video'])


def check_video(check: VideoCheck) -> Tuple[str, Optional[str], str]:
    """Decode one video as the pipeline would.

    Returns:
        tuple: ``(path, problem, reason)``; ``problem`` is ``None`` for a good
        video, else one of :data:`PROBLEMS`.
    """
    try:
        reader = open_video(check.path, 'pyav', on_inexact='raise')
    except VideoDecodeError as error:
        return check.path, 'undecodable', error.reason
    try:
        total = reader.num_frames
        if total == 0:
            return check.path, 'zero-frame', 'the container lists no frame'
        sampler = SampleFrames(
            check.num_frames, check.num_views, test_mode=True)
        reader.read_frames(sampler.sample(total))
        if not check.sampled_only:
            decodable = reader.check_every_frame()
            if decodable < total:
                return (check.path, 'frame-inexact',
                        f'the container lists {total} frames, {decodable} '
                        'decode')
        if total < check.num_frames:
            return (check.path, 'too-short',
                    f'{total} frames, the clip takes {check.num_frames}')
        if check.backend == 'decord':
            open_video(check.path, 'decord').close()
    except FrameInexactError as error:
        return check.path, 'frame-inexact', error.reason
    except VideoDecodeError as error:
        problem = ('zero-frame'
                   if error.reason.startswith('no decodable frame') else
                   'undecodable')
        return check.path, problem, error.reason
    finally:
        reader.close()
    return check.path, None, ''


def read_records(path: str) -> List[dict]:
    """The ``data_list`` of an annotation file (schema of
    docs/data_preparation.md), each record with a ``video`` string."""
    with open(path, encoding='utf-8') as file:
        try:
            annotations = json.load(file)
        except json.JSONDecodeError as error:
            raise SystemExit(f'{path}: not valid JSON ({error})')
    records = annotations.get('data_list') if isinstance(
        annotations, dict) else None
    if not isinstance(records, list):
        raise SystemExit(f"{path}: expected an object with a 'data_list' "
                         'list')
    for index, record in enumerate(records):
        if not isinstance(record, dict) or not isinstance(
                record.get('video'), str):
            raise SystemExit(f"{path}: record {index} has no string field "
                             "'video'")
    return records


def pipeline_sampling(pipeline: List[dict]) -> Optional[Tuple[int, int, str]]:
    """``(num_frames, num_views, backend)`` of a video pipeline, or ``None``
    for a pipeline that does not decode videos (e.g. images)."""
    steps = {step.get('type'): step for step in pipeline
             if isinstance(step, dict)}
    if 'VideoInit' not in steps or 'SampleFrames' not in steps:
        return None
    sample = steps['SampleFrames']
    return (sample.get('num_frames', 8), sample.get('num_views', 1),
            steps['VideoInit'].get('backend', 'auto'))


def datasets_of(node) -> Iterator[dict]:
    """Every dataset dict (one with ``ann_file``) inside a config."""
    if isinstance(node, dict):
        if 'ann_file' in node:
            yield node
        for value in node.values():
            yield from datasets_of(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from datasets_of(value)


def files_from_config(config_path: str) -> List[AnnotationFile]:
    """The annotation files of a config's video datasets; the largest clip
    wins when several datasets read one file."""
    from mmengine.config import Config
    config = Config.fromfile(config_path).to_dict()
    files: Dict[str, AnnotationFile] = {}
    for dataset in datasets_of(config):
        sampling = pipeline_sampling(dataset.get('pipeline', []))
        if sampling is None:
            continue
        root = dataset.get('data_root') or ''
        ann_file = osp.join(root, dataset['ann_file'])
        video_root = osp.join(root,
                              dataset.get('data_prefix', {}).get('video', ''))
        num_frames, num_views, backend = sampling
        known = files.get(ann_file)
        if known is None or num_frames * num_views > (known.num_frames *
                                                      known.num_views):
            files[ann_file] = AnnotationFile(ann_file, video_root, num_frames,
                                             num_views, backend)
    if not files:
        raise SystemExit(f'{config_path}: no dataset with a video pipeline '
                         '(VideoInit and SampleFrames)')
    return list(files.values())


def clean_path(ann_file: str) -> str:
    stem, extension = osp.splitext(ann_file)
    return f'{stem}.clean{extension}'


def write_clean_file(ann_file: AnnotationFile, bad: set) -> Tuple[str, int]:
    """Write the annotation file without the records of ``bad`` videos.

    Returns:
        tuple: The clean file's path and how many records it dropped.
    """
    target = clean_path(ann_file.path)
    with open(ann_file.path, encoding='utf-8') as file:
        annotations = json.load(file)
    kept = [
        record for record in annotations['data_list']
        if ann_file.video_path(record) not in bad
    ]
    dropped = len(annotations['data_list']) - len(kept)
    annotations['data_list'] = kept
    with open(target, 'w', encoding='utf-8') as file:
        json.dump(annotations, file, ensure_ascii=False, indent=1)
    return target, dropped


def run_checks(checks: List[VideoCheck],
               workers: int) -> Dict[str, Tuple[str, str]]:
    """Check the videos in ``workers`` processes with a progress bar.

    Returns:
        dict: path -> ``(problem, reason)`` for the bad videos.
    """
    problems = {}
    progress = Progress(
        TextColumn('checking videos'), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TextColumn('<'), TimeRemainingColumn(),
        console=rich_console())
    with progress, multiprocessing.Pool(workers) if workers > 1 else (
            nullcontext()) as pool:
        task = progress.add_task('videos', total=len(checks))
        results = (pool.imap_unordered(check_video, checks, chunksize=4)
                   if pool else map(check_video, checks))
        for path, problem, reason in results:
            if problem is not None:
                problems[path] = (problem, reason)
            progress.advance(task)
    return problems


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__[__doc__.index('Each video'):])
    parser.add_argument('source', help='a config (.py) or an annotation file '
                        '(.json)')
    parser.add_argument(
        '--video-root',
        help='annotation file only: the directory of its videos (the '
        "dataset's data_prefix['video']); defaults to ../videos beside "
        'the annotations directory')
    parser.add_argument(
        '--num-frames', type=int, default=8,
        help='annotation file only: frames per clip (default 8)')
    parser.add_argument(
        '--num-views', type=int, default=1,
        help='annotation file only: test views per clip (default 1)')
    parser.add_argument('--workers', type=int, default=2,
                        help='parallel processes; 1 checks in this process '
                        '(default 2)')
    parser.add_argument(
        '--sampled-only', action='store_true',
        help='read only the sampled frames, without the pass over every '
        'frame (faster, misses damaged packets between them)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    console = rich_console()
    if not osp.isfile(args.source):
        raise SystemExit(f'{args.source} does not exist')
    if args.source.endswith('.py'):
        ann_files = files_from_config(args.source)
    else:
        video_root = args.video_root or osp.join(
            osp.dirname(osp.dirname(osp.abspath(args.source))), 'videos')
        ann_files = [
            AnnotationFile(args.source, video_root, args.num_frames,
                           args.num_views)
        ]
    checks: Dict[str, VideoCheck] = {}
    for ann_file in ann_files:
        # Refused before any decoding, not after an hour of it.
        if osp.exists(clean_path(ann_file.path)):
            raise SystemExit(f'{clean_path(ann_file.path)} exists; remove '
                             'it to check again (a clean file is never '
                             'overwritten)')
        ann_file.records = read_records(ann_file.path)
        for record in ann_file.records:
            path = ann_file.video_path(record)
            known = checks.get(path)
            if known is None or ann_file.num_frames > known.num_frames:
                checks[path] = VideoCheck(path, ann_file.num_frames,
                                          ann_file.num_views,
                                          ann_file.backend,
                                          args.sampled_only)
    frames = ('the sampled frames' if args.sampled_only else
              'the sampled frames and checking every frame')
    console.print(f'{len(checks)} videos in {len(ann_files)} annotation '
                  f'file(s), decoding {frames}, {args.workers} processes')
    problems = run_checks(list(checks.values()), max(1, args.workers))
    for path in sorted(problems):
        problem, reason = problems[path]
        console.print(f'{problem:<14} {path}: {reason}', markup=False)
    counts = {name: 0 for name in PROBLEMS}
    for problem, _ in problems.values():
        counts[problem] += 1
    console.print(', '.join(f'{count} {name}'
                            for name, count in counts.items()) +
                  f' of {len(checks)} videos')
    for ann_file in ann_files:
        bad = {
            ann_file.video_path(record)
            for record in ann_file.records
            if ann_file.video_path(record) in problems
        }
        if bad:
            target, dropped = write_clean_file(ann_file, bad)
            console.print(f'{target}: {dropped} of {len(ann_file.records)} '
                          f'records dropped ({len(bad)} bad videos)',
                          markup=False)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
