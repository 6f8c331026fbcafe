"""Generate the synthetic demo corpus: short videos of moving shapes with
captions that describe them.

Each video shows 1-3 identical shapes (colour, shape, size) moving together
in one of 8 directions at one of 2 speeds over a plain, gradient, striped,
checkered or noisy background. Each video gets 2-3 captions, written from
several templates with synonyms, that name the count, size, colour, shape,
direction and speed (some also the background), so retrieval needs the text
to be understood rather than matched word for word. No two validation or test
videos share the same (colour, shape, size, direction, speed, count), nor
with any training video, so every test caption has one right answer.

Output (schema: docs/data_preparation.md)::

    <out-dir>/videos/demo_00000.mp4 ...
    <out-dir>/annotations/{train,val,test}.json

Usage::

    python tools/data/make_demo_dataset.py --out-dir data/demo

The same arguments give byte-identical annotations (and videos).
"""
import argparse
import json
import math
import os
import os.path as osp
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

SPLITS = ('train', 'val', 'test')

# Saturated object colours (RGB); backgrounds are neutral greys, so an object
# is always separable from its background by colour.
COLOURS = {
    'red': (220, 30, 30),
    'green': (30, 180, 40),
    'blue': (40, 70, 230),
    'yellow': (240, 220, 30),
    'purple': (140, 40, 200),
    'orange': (250, 140, 20),
    'cyan': (30, 210, 220),
    'pink': (250, 110, 190),
}
SHAPES = ('circle', 'square', 'triangle', 'diamond', 'cross', 'ring')
# Object radius as a fraction of the frame side.
SIZES = {'small': 0.07, 'medium': 0.11, 'large': 0.16}
# Unit (dx, dy) in image coordinates (y grows downwards).
DIRECTIONS = {
    'left': (-1, 0),
    'right': (1, 0),
    'up': (0, -1),
    'down': (0, 1),
    'up-left': (-1, -1),
    'up-right': (1, -1),
    'down-left': (-1, 1),
    'down-right': (1, 1),
}
# Distance travelled over the whole clip, as a fraction of the frame side.
SPEEDS = {'slow': 0.2, 'fast': 0.45}
COUNTS = (1, 2, 3)
BACKGROUNDS = ('black', 'white', 'gray', 'gradient', 'striped', 'checkered',
               'noisy')
GREY_LEVELS = {'black': 20, 'white': 235, 'gray': 128}

# Caption vocabulary: every value has several phrasings.
COLOUR_WORDS = {
    'red': ['red', 'crimson', 'scarlet'],
    'green': ['green', 'emerald'],
    'blue': ['blue', 'cobalt'],
    'yellow': ['yellow', 'golden', 'lemon'],
    'purple': ['purple', 'violet'],
    'orange': ['orange', 'tangerine'],
    'cyan': ['cyan', 'turquoise', 'aqua'],
    'pink': ['pink', 'rose'],
}
SHAPE_WORDS = {  # (singular, plural)
    'circle': [('circle', 'circles'), ('disc', 'discs'), ('dot', 'dots')],
    'square': [('square', 'squares'), ('box', 'boxes'), ('block', 'blocks')],
    'triangle': [('triangle', 'triangles'),
                 ('triangular shape', 'triangular shapes')],
    'diamond': [('diamond', 'diamonds'), ('rhombus', 'rhombuses')],
    'cross': [('cross', 'crosses'), ('plus sign', 'plus signs')],
    'ring': [('ring', 'rings'), ('hoop', 'hoops'),
             ('hollow circle', 'hollow circles')],
}
SIZE_WORDS = {
    'small': ['small', 'tiny', 'little'],
    'medium': ['medium-sized', 'mid-sized', 'moderately sized'],
    'large': ['large', 'big', 'huge'],
}
DIRECTION_WORDS = {
    'left':
    ['to the left', 'leftward', 'towards the left edge', 'from right to left'],
    'right': [
        'to the right', 'rightward', 'towards the right edge',
        'from left to right'
    ],
    'up': ['upward', 'up', 'towards the top', 'from bottom to top'],
    'down': ['downward', 'down', 'towards the bottom', 'from top to bottom'],
    'up-left': [
        'up and to the left', 'towards the top-left corner',
        'diagonally up-left'
    ],
    'up-right': [
        'up and to the right', 'towards the top-right corner',
        'diagonally up-right'
    ],
    'down-left': [
        'down and to the left', 'towards the bottom-left corner',
        'diagonally down-left'
    ],
    'down-right': [
        'down and to the right', 'towards the bottom-right corner',
        'diagonally down-right'
    ],
}
SPEED_ADVERBS = {
    'slow': ['slowly', 'gently', 'unhurriedly', 'at a slow pace'],
    'fast': ['quickly', 'rapidly', 'swiftly', 'at high speed'],
}
PACE_WORDS = {
    'slow': ['slow', 'leisurely', 'gentle', 'relaxed'],
    'fast': ['fast', 'quick', 'rapid', 'brisk'],
}
COUNT_WORDS = {
    1: ['a', 'one', 'a single'],
    2: ['two', 'a pair of'],
    3: ['three', 'a group of three'],
}
BACKGROUND_WORDS = {
    'black': ['black', 'dark'],
    'white': ['white', 'bright white'],
    'gray': ['gray', 'grey'],
    'gradient': ['gradient', 'shaded'],
    'striped': ['striped', 'stripy'],
    'checkered': ['checkered', 'checkerboard'],
    'noisy': ['noisy', 'grainy', 'speckled'],
}
VERBS = [  # (base, third person singular, -ing)
    ('move', 'moves', 'moving'),
    ('travel', 'travels', 'travelling'),
    ('glide', 'glides', 'gliding'),
    ('slide', 'slides', 'sliding'),
    ('head', 'heads', 'heading'),
]
TEMPLATES = (
    '{np} {verb} {direction} {adverb}.',
    '{np} {verb} {adverb} {direction} on {background}.',
    'A clip of {np} {verb_ing} {direction} {adverb}.',
    'There {be} {np} on {background}, {verb_ing} {adverb} {direction}.',
    '{adverb}, {np} {verb} {direction}.',
    '{np} that {verb} {direction} at a {pace} pace.',
)
STILL_TEMPLATES = (
    '{np} on {background}.',
    'A picture of {np}.',
    'A still image of {np} on {background}.',
    '{np}.',
)
ATTRIBUTE_KEYS = ('colour', 'shape', 'size', 'direction', 'speed', 'count')
NUM_COMBINATIONS = (
    len(COLOURS) * len(SHAPES) * len(SIZES) * len(DIRECTIONS) * len(SPEEDS) *
    len(COUNTS))


@dataclass
class VideoSpec:
    """Everything needed to render one video and caption it.

    Attributes:
        video_id (str): Also the file stem.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        attributes (dict): ``colour``, ``shape``, ``size``, ``direction``,
            ``speed``, ``count`` and ``background`` of the video.
        starts (list[tuple[float, float]]): Object centres ``(x, y)`` in
            pixels in the first frame.
        num_frames (int): Frames T.
        size (int): Frame side S in pixels.
        background_seed (int): Seed of the background pattern.
        captions (list[str]): The captions.
    """

    video_id: str
    split: str
    attributes: Dict
    starts: List[Tuple[float, float]]
    num_frames: int
    size: int
    background_seed: int
    captions: List[str] = field(default_factory=list)

    @property
    def radius(self) -> float:
        """Object radius in pixels."""
        return object_radius(self.attributes, self.size)

    def centres(self, frame: int) -> List[Tuple[float, float]]:
        """Object centres ``(x, y)`` in frame ``frame``."""
        progress = frame / max(self.num_frames - 1, 1)
        dx, dy = displacement(self.attributes, self.size)
        return [(x + progress * dx, y + progress * dy) for x, y in self.starts]


def object_radius(attributes: Dict, size: int) -> float:
    """Object radius in pixels for a frame side of ``size``."""
    return SIZES[attributes['size']] * size


def displacement(attributes: Dict, size: int) -> Tuple[float, float]:
    """Motion ``(dx, dy)`` over the clip, in pixels, for a frame side of
    ``size``."""
    dx, dy = DIRECTIONS[attributes['direction']]
    distance = SPEEDS[attributes['speed']] * size
    norm = math.hypot(dx, dy)
    return dx / norm * distance, dy / norm * distance


def place_objects(attributes: Dict, size: int,
                  rng: np.random.Generator) -> List[Tuple[float, float]]:
    """Draw start centres so every object stays inside the frame for the
    whole clip and no two objects touch; empty list if none found.

    All objects move together, so their gaps never change: checking the
    first frame suffices.
    """
    radius = object_radius(attributes, size)
    margin = radius + 1
    dx, dy = displacement(attributes, size)
    x_range = (margin - min(dx, 0), size - margin - max(dx, 0))
    y_range = (margin - min(dy, 0), size - margin - max(dy, 0))
    if x_range[0] > x_range[1] or y_range[0] > y_range[1]:
        return []
    min_gap = 2 * radius + 0.05 * size
    for _ in range(100):
        starts = [(float(rng.uniform(*x_range)), float(rng.uniform(*y_range)))
                  for _ in range(attributes['count'])]
        if all(
                math.dist(a, b) >= min_gap for i, a in enumerate(starts)
                for b in starts[i + 1:]):
            return starts
    return []


def sample_attributes(rng: np.random.Generator) -> Dict:
    """Draw one attribute combination uniformly."""
    return dict(
        colour=str(rng.choice(list(COLOURS))),
        shape=str(rng.choice(SHAPES)),
        size=str(rng.choice(list(SIZES))),
        direction=str(rng.choice(list(DIRECTIONS))),
        speed=str(rng.choice(list(SPEEDS))),
        count=int(rng.choice(COUNTS)),
        background=str(rng.choice(BACKGROUNDS)))


def attribute_key(attributes: Dict) -> Tuple:
    """The attributes that captions always mention (background excluded)."""
    return tuple(attributes[key] for key in ATTRIBUTE_KEYS)


def make_captions(attributes: Dict, rng: np.random.Generator) -> List[str]:
    """Write 2-3 captions, each from a different template.

    Every caption names count, size, colour, shape, direction and speed; the
    background only in some templates.
    """
    count = attributes['count']
    num_captions = int(rng.integers(2, 4))
    template_ids = rng.choice(len(TEMPLATES), num_captions, replace=False)
    captions = []
    for template_id in template_ids:
        noun_phrase = _noun_phrase(attributes, rng)
        base, third, ing = VERBS[rng.integers(len(VERBS))]
        adverb = str(rng.choice(SPEED_ADVERBS[attributes['speed']]))
        direction = str(rng.choice(DIRECTION_WORDS[attributes['direction']]))
        background = str(
            rng.choice(BACKGROUND_WORDS[attributes['background']]))
        text = TEMPLATES[template_id].format(
            np=noun_phrase,
            verb=third if count == 1 else base,
            verb_ing=ing,
            be='is' if count == 1 else 'are',
            direction=direction,
            adverb=adverb,
            pace=str(rng.choice(PACE_WORDS[attributes['speed']])),
            background=f'a {background} background')
        captions.append(_polish(text))
    return captions


def make_still_captions(attributes: Dict,
                        rng: np.random.Generator) -> List[str]:
    """Write 2 captions of a still frame: count, size, colour, shape and
    sometimes the background, but no motion (a still image shows none)."""
    template_ids = rng.choice(len(STILL_TEMPLATES), 2, replace=False)
    return [
        _polish(STILL_TEMPLATES[template_id].format(
            np=_noun_phrase(attributes, rng),
            background='a ' + str(
                rng.choice(BACKGROUND_WORDS[attributes['background']])) +
            ' background')) for template_id in template_ids
    ]


def _noun_phrase(attributes: Dict, rng: np.random.Generator) -> str:
    """E.g. "two tiny crimson discs"."""
    count = attributes['count']
    singular, plural = SHAPE_WORDS[attributes['shape']][rng.integers(
        len(SHAPE_WORDS[attributes['shape']]))]
    return ' '.join([
        str(rng.choice(COUNT_WORDS[count])),
        str(rng.choice(SIZE_WORDS[attributes['size']])),
        str(rng.choice(COLOUR_WORDS[attributes['colour']])),
        singular if count == 1 else plural,
    ])


def _polish(text: str) -> str:
    """Fix articles before vowels and capitalise the first letter."""
    text = re.sub(r'\b([Aa]) (?=[aeiouAEIOU])', r'\1n ', text)
    return text[0].upper() + text[1:]


def sample_specs(num_videos: Dict[str, int], size: int, num_frames: int,
                 seed: int) -> List[VideoSpec]:
    """Draw the specs of the whole corpus, in train, val, test order.

    Validation and test combinations (see :func:`attribute_key`) are unique
    across the corpus; training videos only avoid them.

    Args:
        num_videos (dict): Videos per split.
        size (int): Frame side in pixels.
        num_frames (int): Frames per video.
        seed (int): Seed of everything random.

    Returns:
        list[VideoSpec]: ``video_id`` ``demo_00000`` onwards.
    """
    num_held_out = num_videos['val'] + num_videos['test']
    if num_held_out > NUM_COMBINATIONS // 4:
        raise ValueError(
            f'{num_held_out} validation + test videos cannot all get unique '
            f'attribute combinations (at most {NUM_COMBINATIONS // 4})')
    rng = np.random.default_rng(seed)
    used_keys = set()
    drawn = {}
    # Held-out splits first, so their combinations are reserved.
    for split in ('test', 'val', 'train'):
        drawn[split] = []
        while len(drawn[split]) < num_videos[split]:
            attributes = sample_attributes(rng)
            key = attribute_key(attributes)
            if key in used_keys:
                continue
            starts = place_objects(attributes, size, rng)
            if not starts:
                continue
            if split != 'train':
                used_keys.add(key)
            background_seed = int(rng.integers(2**31))
            drawn[split].append((attributes, starts, background_seed,
                                 make_captions(attributes, rng)))
    specs = []
    for split in SPLITS:
        for attributes, starts, background_seed, captions in drawn[split]:
            specs.append(
                VideoSpec(f'demo_{len(specs):05d}', split, attributes, starts,
                          num_frames, size, background_seed, captions))
    return specs


def render_background(name: str, size: int, seed: int) -> np.ndarray:
    """A static ``(S, S, 3)`` uint8 neutral background."""
    rng = np.random.default_rng(seed)
    if name in GREY_LEVELS:
        grey = np.full((size, size), GREY_LEVELS[name], np.float32)
    else:
        low, high = sorted(rng.uniform(20, 235, 2))
        high = max(high, low + 60)
        coords = np.arange(size, dtype=np.float32)
        horizontal = bool(rng.integers(2))
        if name == 'gradient':
            ramp = low + (high - low) * coords / (size - 1)
            grey = np.broadcast_to(ramp if horizontal else ramp[:, None],
                                   (size, size))
        elif name in ('striped', 'checkered'):
            period = int(rng.integers(3, 6))
            bands = (coords // period) % 2
            if name == 'striped':
                pattern = np.broadcast_to(
                    bands if horizontal else bands[:, None], (size, size))
            else:
                pattern = (bands[:, None] + bands[None, :]) % 2
            grey = low + (high - low) * pattern
        else:
            noise = rng.uniform(low, high, (size // 4, size // 4))
            grey = cv2.resize(
                noise.astype(np.float32), (size, size),
                interpolation=cv2.INTER_LINEAR)
    grey = np.clip(grey, 0, 255).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def draw_shape(image: np.ndarray, shape: str, centre: Tuple[float, float],
               radius: float, colour: Tuple[int, int, int]) -> None:
    """Draw one filled shape in place, anti-aliased at sub-pixel precision."""
    shift = 4  # cv2 fixed-point bits: coordinates are scaled by 16.
    scale = 1 << shift
    x, y = centre

    def polygon(points):
        fixed = np.round(np.asarray(points) * scale).astype(np.int32)
        cv2.fillConvexPoly(image, fixed, colour, cv2.LINE_AA, shift)

    if shape in ('circle', 'ring'):
        thickness = -1 if shape == 'circle' else max(2, round(0.35 * radius))
        outer = radius if shape == 'circle' else radius - thickness / 2
        cv2.circle(image, (round(x * scale), round(y * scale)),
                   round(outer * scale), colour, thickness, cv2.LINE_AA, shift)
    elif shape == 'square':
        half = 0.85 * radius
        polygon([(x - half, y - half), (x + half, y - half),
                 (x + half, y + half), (x - half, y + half)])
    elif shape == 'triangle':
        polygon([(x + radius * math.cos(angle), y + radius * math.sin(angle))
                 for angle in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)])
    elif shape == 'diamond':
        polygon([(x, y - radius), (x + 0.75 * radius, y), (x, y + radius),
                 (x - 0.75 * radius, y)])
    elif shape == 'cross':
        arm = 0.35 * radius
        polygon([(x - radius, y - arm), (x + radius, y - arm),
                 (x + radius, y + arm), (x - radius, y + arm)])
        polygon([(x - arm, y - radius), (x + arm, y - radius),
                 (x + arm, y + radius), (x - arm, y + radius)])
    else:
        raise ValueError(f'Unknown shape {shape!r}')


def render_frames(spec: VideoSpec) -> np.ndarray:
    """Render the clip.

    Returns:
        np.ndarray: ``(T, S, S, 3)`` uint8 RGB frames.
    """
    background = render_background(spec.attributes['background'], spec.size,
                                   spec.background_seed)
    colour = COLOURS[spec.attributes['colour']]
    frames = np.empty((spec.num_frames, spec.size, spec.size, 3), np.uint8)
    for index in range(spec.num_frames):
        frames[index] = background
        for centre in spec.centres(index):
            draw_shape(frames[index], spec.attributes['shape'], centre,
                       spec.radius, colour)
    return frames


def write_video(path: str, frames: np.ndarray, fps: float) -> None:
    """Encode ``(T, H, W, 3)`` RGB frames as MPEG-4 Part 2 (``mp4v``)."""
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (width, height))
    if not writer.isOpened():
        raise RuntimeError(f'OpenCV cannot write an mp4v video to {path}')
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()


def _render_and_write(job: Tuple[VideoSpec, str, float, Optional[str]]
                      ) -> None:
    spec, path, fps, still_path = job
    frames = render_frames(spec)
    write_video(path, frames, fps)
    if still_path is not None:
        # The middle frame, as an image corpus would show the scene.
        still = cv2.cvtColor(frames[len(frames) // 2], cv2.COLOR_RGB2BGR)
        if not cv2.imwrite(still_path, still):
            raise RuntimeError(f'OpenCV cannot write {still_path}')


def _annotation(specs: Sequence[VideoSpec], split: str,
                spec_args: Dict) -> Dict:
    return dict(
        metainfo=dict(
            dataset_name='clover_demo',
            task='retrieval',
            split=split,
            schema_version=1,
            **spec_args),
        data_list=[
            dict(
                video_id=spec.video_id,
                video=f'{spec.video_id}.mp4',
                captions=spec.captions,
                attributes=spec.attributes) for spec in specs
            if spec.split == split
        ])


def _still_annotation(specs: Sequence[VideoSpec], spec_args: Dict,
                      seed: int) -> Dict:
    # Its own random stream: the video captions stay byte-identical.
    rng = np.random.default_rng([seed, 1])
    return dict(
        metainfo=dict(
            dataset_name='clover_demo_stills',
            task='image_text',
            split='train',
            schema_version=1,
            **spec_args),
        data_list=[
            dict(
                video_id=spec.video_id,
                video=f'{spec.video_id}.png',
                captions=make_still_captions(spec.attributes, rng),
                attributes=spec.attributes) for spec in specs
            if spec.split == 'train'
        ])


def build_corpus(out_dir: str,
                 num_train: int = 600,
                 num_val: int = 100,
                 num_test: int = 120,
                 num_frames: int = 16,
                 size: int = 64,
                 fps: float = 8.0,
                 seed: int = 0,
                 workers: int = 2,
                 still_frames: bool = False) -> Dict[str, int]:
    """Write the videos and the three annotation files.

    Args:
        out_dir (str): Output directory.
        num_train (int): Training videos. Defaults to 600.
        num_val (int): Validation videos. Defaults to 100.
        num_test (int): Test videos. Defaults to 120.
        num_frames (int): Frames per video. Defaults to 16.
        size (int): Frame side in pixels. Defaults to 64.
        fps (float): Frame rate. Defaults to 8.
        seed (int): Random seed. Defaults to 0.
        workers (int): Encoding processes (1 = none). Defaults to 2.
        still_frames (bool): Also write the middle frame of every training
            video to ``images/<video_id>.png`` and an image-text annotation
            ``annotations/train_images.json`` whose captions describe the
            objects without their motion: the image source of the
            pre-training demo. The videos' captions do not change.
            Defaults to False.

    Returns:
        dict: Videos per split and the number of captions.
    """
    if size < 32:
        raise ValueError(f'size must be >= 32 px, got {size}')
    if num_frames < 2:
        raise ValueError(f'num_frames must be >= 2, got {num_frames}')
    num_videos = dict(train=num_train, val=num_val, test=num_test)
    specs = sample_specs(num_videos, size, num_frames, seed)
    video_dir = osp.join(out_dir, 'videos')
    ann_dir = osp.join(out_dir, 'annotations')
    os.makedirs(video_dir, exist_ok=True)
    os.makedirs(ann_dir, exist_ok=True)

    image_dir = osp.join(out_dir, 'images')
    if still_frames:
        os.makedirs(image_dir, exist_ok=True)

    def still_path(spec):
        if still_frames and spec.split == 'train':
            return osp.join(image_dir, f'{spec.video_id}.png')
        return None

    jobs = [(spec, osp.join(video_dir, f'{spec.video_id}.mp4'), fps,
             still_path(spec)) for spec in specs]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_render_and_write, jobs, chunksize=16))
    else:
        for job in jobs:
            _render_and_write(job)

    spec_args = dict(
        num_frames=num_frames, frame_size=size, fps=fps, seed=seed)
    annotations = {
        split: _annotation(specs, split, spec_args)
        for split in SPLITS
    }
    if still_frames:
        annotations['train_images'] = _still_annotation(
            specs, spec_args, seed)
    for name, content in annotations.items():
        with open(osp.join(ann_dir, f'{name}.json'), 'w') as file:
            json.dump(content, file, indent=1)
            file.write('\n')
    summary = dict(num_videos)
    summary['captions'] = sum(len(spec.captions) for spec in specs)
    if still_frames:
        summary['images'] = len(annotations['train_images']['data_list'])
    return summary


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out-dir', default='data/demo')
    parser.add_argument('--num-train', type=int, default=600)
    parser.add_argument('--num-val', type=int, default=100)
    parser.add_argument(
        '--num-test',
        type=int,
        default=120,
        help='test gallery size; keep it >= 100 for meaningful R@k')
    parser.add_argument('--num-frames', type=int, default=16)
    parser.add_argument('--size', type=int, default=64, help='frame side, px')
    parser.add_argument('--fps', type=float, default=8.0)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--workers', type=int, default=2, help='encoding processes')
    parser.add_argument(
        '--still-frames',
        action='store_true',
        help='also write a still frame of each training video with '
        'motionless captions (images/, annotations/train_images.json)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    summary = build_corpus(args.out_dir, args.num_train, args.num_val,
                           args.num_test, args.num_frames, args.size, args.fps,
                           args.seed, args.workers, args.still_frames)
    seconds = time.perf_counter() - start
    print(f"Demo corpus: {summary['train']}/{summary['val']}/{summary['test']}"
          f" train/val/test videos ({args.num_frames} frames, "
          f'{args.size}x{args.size}, {args.fps:g} fps), '
          f"{summary['captions']} captions"
          + (f", {summary['images']} still images"
             if args.still_frames else '')
          + f' -> {args.out_dir} '

          f'in {seconds:.1f} s')


if __name__ == '__main__':
    main()
