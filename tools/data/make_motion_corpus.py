"""Generate the motion corpus: a second synthetic video-caption corpus whose
clips differ from the demo corpus in what moves and what is to be read.

Each clip shows one shape that spins (clockwise or anticlockwise), grows,
shrinks or zigzags across the frame, over a textured background (sinusoidal
gratings plus noise) that the camera pans across in a random direction. Half
of the clips add a distractor: a smaller grey shape drifting in a straight
line, which no caption mentions. Each clip has ONE caption naming the
colour, the shape and the motion through several templates and synonyms.
Within the validation split and within the test split no two clips share
(colour, shape, motion), so every held-out caption has one right answer;
training clips draw any combination. The retrieval cue is therefore the
object's motion and appearance, not its position, and the background moves
more pixels than the object does.

Output (the schema of tools/data/make_demo_dataset.py, see
docs/data_preparation.md)::

    <out-dir>/videos/motion_00000.mp4 ...
    <out-dir>/annotations/{train,val,test}.json

Usage::

    python tools/data/make_motion_corpus.py --out-dir data/motion

The same arguments give byte-identical annotations (and videos).
"""
import argparse
import json
import math
import os
import os.path as osp
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Dict, List, Tuple

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from make_demo_dataset import write_video  # noqa: E402

SPLITS = ('train', 'val', 'test')

COLOURS = {  # RGB, saturated: the backgrounds are low-saturation textures
    'red': (225, 25, 25),
    'green': (20, 190, 40),
    'blue': (30, 60, 235),
    'yellow': (245, 225, 20),
    'purple': (150, 30, 210),
    'orange': (255, 135, 10),
    'cyan': (20, 215, 225),
    'pink': (255, 100, 190),
}
# No circle: a spinning disc looks still. Vertices on the unit circle.
SHAPES = ('triangle', 'square', 'star', 'cross', 'pentagon', 'arrow')
MOTIONS = ('spin-clockwise', 'spin-anticlockwise', 'grow', 'shrink',
           'zigzag')

COLOUR_WORDS = {
    'red': ['red', 'scarlet'],
    'green': ['green', 'lime'],
    'blue': ['blue', 'navy'],
    'yellow': ['yellow', 'golden'],
    'purple': ['purple', 'violet'],
    'orange': ['orange', 'amber'],
    'cyan': ['cyan', 'teal'],
    'pink': ['pink', 'magenta'],
}
SHAPE_WORDS = {
    'triangle': ['triangle', 'three-sided shape'],
    'square': ['square', 'tile'],
    'star': ['star', 'five-pointed star'],
    'cross': ['cross', 'plus'],
    'pentagon': ['pentagon', 'five-sided shape'],
    'arrow': ['arrow', 'pointer'],
}
MOTION_WORDS = {
    'spin-clockwise':
    ['spins clockwise', 'rotates clockwise', 'turns clockwise'],
    'spin-anticlockwise': [
        'spins anticlockwise', 'rotates counterclockwise',
        'turns counterclockwise'
    ],
    'grow': ['grows', 'gets bigger', 'expands', 'swells'],
    'shrink': ['shrinks', 'gets smaller', 'contracts', 'dwindles'],
    'zigzag': ['zigzags across', 'moves in a zigzag', 'weaves side to side'],
}
TEMPLATES = (
    'a {colour} {shape} {motion}',
    'the {colour} {shape} {motion}',
    'there is a {colour} {shape} that {motion}',
    'a {colour} {shape} {motion} while the camera pans',
    'over a moving textured background a {colour} {shape} {motion}',
)


def sample_combinations(num_videos: Dict[str, int],
                        rng: np.random.Generator) -> List[Tuple[str, Tuple]]:
    """(split, (colour, shape, motion)) per clip, in split order."""
    combos = [(c, s, m) for c in COLOURS for s in SHAPES for m in MOTIONS]
    held_out = num_videos['val'] + num_videos['test']
    if held_out > len(combos):
        raise ValueError(
            f'val + test = {held_out} clips need as many distinct '
            f'(colour, shape, motion) combinations; there are {len(combos)}')
    order = rng.permutation(len(combos))
    picks = {
        'val': [combos[i] for i in order[:num_videos['val']]],
        'test': [combos[i] for i in order[num_videos['val']:held_out]],
        'train': [
            combos[i]
            for i in rng.integers(0, len(combos), num_videos['train'])
        ],
    }
    return [(split, combo) for split in SPLITS for combo in picks[split]]


def make_caption(combo: Tuple[str, str, str],
                 rng: np.random.Generator) -> str:
    colour, shape, motion = combo
    template = TEMPLATES[rng.integers(len(TEMPLATES))]

    def word(options):
        return options[rng.integers(len(options))]

    return template.format(
        colour=word(COLOUR_WORDS[colour]),
        shape=word(SHAPE_WORDS[shape]),
        motion=word(MOTION_WORDS[motion]))


def shape_vertices(shape: str) -> np.ndarray:
    """``(V, 2)`` polygon of radius 1 centred on the origin, pointing up."""

    def ring(count, radii, offset=-math.pi / 2):
        angles = offset + np.arange(count) * 2 * math.pi / count
        radii = np.resize(np.asarray(radii, float), count)
        return np.stack([radii * np.cos(angles), radii * np.sin(angles)], 1)

    if shape == 'triangle':
        return ring(3, 1.0)
    if shape == 'square':
        return ring(4, 1.0, offset=-math.pi / 4)
    if shape == 'pentagon':
        return ring(5, 1.0)
    if shape == 'star':
        return ring(10, (1.0, 0.42))
    if shape == 'cross':
        a, b = 1.0, 0.33
        return np.array([(-b, -a), (b, -a), (b, -b), (a, -b), (a, b), (b, b),
                         (b, a), (-b, a), (-b, b), (-a, b), (-a, -b),
                         (-b, -b)])
    if shape == 'arrow':  # asymmetric, so its spin direction is unambiguous
        return np.array([(0, -1), (0.7, -0.2), (0.25, -0.2), (0.25, 1),
                         (-0.25, 1), (-0.25, -0.2), (-0.7, -0.2)])
    raise ValueError(f'unknown shape {shape!r}')


def textured_canvas(side: int, rng: np.random.Generator) -> np.ndarray:
    """``(side, side, 3)`` uint8 low-saturation texture: three random
    gratings plus pixel noise, tinted by a random muted colour."""
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32)
    texture = np.zeros((side, side), np.float32)
    for _ in range(3):
        angle = rng.uniform(0, math.pi)
        period = rng.uniform(5, 18)
        phase = rng.uniform(0, 2 * math.pi)
        texture += np.sin((xs * math.cos(angle) + ys * math.sin(angle)) *
                          2 * math.pi / period + phase)
    texture = texture / 3 + rng.normal(0, 0.25, texture.shape)
    grey = 110 + 45 * np.clip(texture, -1.5, 1.5)
    tint = rng.uniform(0.85, 1.15, 3)
    return np.clip(grey[..., None] * tint, 0, 255).astype(np.uint8)


def render_clip(job: Tuple[int, Tuple, int, int, int, bool]) -> np.ndarray:
    """``(T, H, W, 3)`` uint8 RGB frames of one clip."""
    index, combo, num_frames, size, seed, distractor = job
    rng = np.random.default_rng([seed, 2, index])
    colour, shape, motion = combo
    canvas = textured_canvas(2 * size, rng)
    # The camera pans by 0.3-0.7 frame sides in a random direction.
    pan_angle = rng.uniform(0, 2 * math.pi)
    pan = rng.uniform(0.3, 0.7) * size * np.array(
        [math.cos(pan_angle), math.sin(pan_angle)])
    start = (size - pan) / 2 + rng.uniform(-0.1, 0.1, 2) * size
    vertices = shape_vertices(shape)
    centre0 = size * (0.5 + rng.uniform(-0.12, 0.12, 2))
    angle0 = rng.uniform(0, 2 * math.pi)
    zig_sign = rng.choice([-1.0, 1.0])
    if distractor:
        other = SHAPES[(SHAPES.index(shape) + rng.integers(1, len(SHAPES))) %
                       len(SHAPES)]
        d_vertices = shape_vertices(other)
        d_start = size * rng.uniform(0.15, 0.85, 2)
        d_step = size * rng.uniform(-0.3, 0.3, 2)
        d_grey = int(rng.choice([40, 215]))
    frames = np.empty((num_frames, size, size, 3), np.uint8)
    for t in range(num_frames):
        u = t / (num_frames - 1)
        x0, y0 = np.round(start + u * pan).astype(int)
        frame = np.ascontiguousarray(canvas[y0:y0 + size, x0:x0 + size])
        radius, angle, centre = 0.13 * size, angle0, centre0.copy()
        if motion == 'spin-clockwise':  # y grows downwards: + is clockwise
            angle = angle0 + u * 0.75 * math.pi
        elif motion == 'spin-anticlockwise':
            angle = angle0 - u * 0.75 * math.pi
        elif motion == 'grow':
            radius = size * (0.06 + 0.16 * u)
        elif motion == 'shrink':
            radius = size * (0.22 - 0.16 * u)
        else:  # zigzag: across the frame, up and down three times
            centre = np.array([
                size * (0.5 + zig_sign * (0.35 * u - 0.175)),
                centre0[1] + size * 0.15 * math.sin(u * 6 * math.pi)
            ])
        if distractor:
            d_centre = d_start + u * d_step
            _fill(frame, d_vertices, d_centre, 0.07 * size, 0.0,
                  (d_grey, ) * 3)
        _fill(frame, vertices, centre, radius, angle, COLOURS[colour])
        frames[t] = frame
    return frames


def _fill(frame: np.ndarray, vertices: np.ndarray, centre: np.ndarray,
          radius: float, angle: float, colour: Tuple[int, int, int]) -> None:
    rotation = np.array([[math.cos(angle), -math.sin(angle)],
                         [math.sin(angle), math.cos(angle)]])
    points = vertices @ rotation.T * radius + centre
    # Sub-pixel vertices (4 fractional bits) keep slow spins smooth.
    cv2.fillPoly(frame, [np.round(points * 16).astype(np.int32)], colour,
                 lineType=cv2.LINE_AA, shift=4)


def _render_and_write(job) -> None:
    path, fps = job[-2:]
    write_video(path, render_clip(job[:-2]), fps)


def build_corpus(out_dir: str,
                 num_train: int = 480,
                 num_val: int = 60,
                 num_test: int = 120,
                 num_frames: int = 16,
                 size: int = 64,
                 fps: float = 8.0,
                 seed: int = 0,
                 workers: int = 2) -> Dict[str, int]:
    """Write the videos and the three annotation files.

    Args:
        out_dir (str): Output directory.
        num_train, num_val, num_test (int): Clips per split. val + test
            must not exceed the 240 (colour, shape, motion) combinations.
        num_frames (int): Frames per clip. Defaults to 16.
        size (int): Frame side in pixels. Defaults to 64.
        fps (float): Frame rate. Defaults to 8.
        seed (int): Random seed. Defaults to 0.
        workers (int): Encoding processes. Defaults to 2.

    Returns:
        dict: Clips per split.
    """
    if size < 32:
        raise ValueError(f'size must be >= 32 px, got {size}')
    if num_frames < 2:
        raise ValueError(f'num_frames must be >= 2, got {num_frames}')
    num_videos = dict(train=num_train, val=num_val, test=num_test)
    rng = np.random.default_rng([seed, 1])
    clips = sample_combinations(num_videos, rng)
    captions = [make_caption(combo, rng) for _, combo in clips]
    # Exactly half of the clips (alternating) carry a distractor.
    distractors = [index % 2 == 1 for index in range(len(clips))]
    video_dir = osp.join(out_dir, 'videos')
    ann_dir = osp.join(out_dir, 'annotations')
    os.makedirs(video_dir, exist_ok=True)
    os.makedirs(ann_dir, exist_ok=True)
    names = [f'motion_{index:05d}' for index in range(len(clips))]
    jobs = [(index, combo, num_frames, size, seed, distractors[index],
             osp.join(video_dir, f'{names[index]}.mp4'), fps)
            for index, (_, combo) in enumerate(clips)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_render_and_write, jobs, chunksize=16))
    else:
        for job in jobs:
            _render_and_write(job)
    for split in SPLITS:
        annotation = dict(
            metainfo=dict(
                dataset_name='clover_motion',
                task='retrieval',
                split=split,
                schema_version=1,
                num_frames=num_frames,
                frame_size=size,
                fps=fps,
                seed=seed),
            data_list=[
                dict(
                    video_id=names[index],
                    video=f'{names[index]}.mp4',
                    captions=[captions[index]],
                    attributes=dict(
                        colour=combo[0],
                        shape=combo[1],
                        motion=combo[2],
                        distractor=distractors[index]))
                for index, (clip_split, combo) in enumerate(clips)
                if clip_split == split
            ])
        with open(osp.join(ann_dir, f'{split}.json'), 'w') as file:
            json.dump(annotation, file, indent=1)
            file.write('\n')
    return num_videos


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out-dir', default='data/motion')
    parser.add_argument('--num-train', type=int, default=480)
    parser.add_argument('--num-val', type=int, default=60)
    parser.add_argument('--num-test', type=int, default=120)
    parser.add_argument('--num-frames', type=int, default=16)
    parser.add_argument('--size', type=int, default=64, help='frame side, px')
    parser.add_argument('--fps', type=float, default=8.0)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--workers', type=int, default=2, help='encoding processes')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    summary = build_corpus(args.out_dir, args.num_train, args.num_val,
                           args.num_test, args.num_frames, args.size,
                           args.fps, args.seed, args.workers)
    print(f"Motion corpus: {summary['train']}/{summary['val']}/"
          f"{summary['test']} train/val/test clips ({args.num_frames} "
          f'frames, {args.size}x{args.size}), one caption each -> '
          f'{args.out_dir} in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
