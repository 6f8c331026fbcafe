"""Spatial augmentation of a decoded clip ``results['imgs']`` of shape
``(T, H, W, 3)``; every frame of a clip gets the same geometry."""
import math
from typing import Dict, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from clover.registry import TRANSFORMS
from .base import BaseTransform

INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}


def _crop(results: Dict, left: int, top: int, width: int, height: int) -> Dict:
    """Crop every frame to the box and record it in ``results``."""
    imgs = results['imgs']
    results['imgs'] = np.ascontiguousarray(imgs[:, top:top + height,
                                                left:left + width])
    results['crop_bbox'] = np.array([left, top, left + width, top + height])
    results['img_shape'] = (height, width)
    return results


@TRANSFORMS.register_module()
class Resize(BaseTransform):
    """Resize every frame of the clip.

    With ``keep_ratio=True`` the frame keeps its aspect ratio and is scaled by
    the largest factor that keeps its long side <= ``max(scale)`` and its
    short side <= ``min(scale)``, where -1 means unbounded (the mmcv / mmaction
    convention): ``scale=(-1, 256)`` makes the short side 256, ``(340, 256)``
    fits the frame inside those bounds. An int ``scale`` is a short side. With
    ``keep_ratio=False`` the frame is resized to exactly ``scale=(w, h)``.

    Required keys: ``imgs``. Updated keys: ``imgs``, ``img_shape``.

    Args:
        scale (int | tuple[int, int]): Target size, see above.
        keep_ratio (bool): Keep the aspect ratio. Defaults to True.
        interpolation (str): One of ``'nearest'``, ``'bilinear'``,
            ``'bicubic'``, ``'area'``, ``'lanczos'``. Defaults to
            ``'bilinear'``.
    """

    def __init__(self,
                 scale: Union[int, Tuple[int, int]],
                 keep_ratio: bool = True,
                 interpolation: str = 'bilinear') -> None:
        if isinstance(scale, int):
            scale = (-1, scale)
        scale = tuple(scale)
        if len(scale) != 2:
            raise ValueError(f'scale must be an int or (w, h), got {scale}')
        if keep_ratio and max(scale) <= 0:
            raise ValueError(f'scale {scale} bounds neither side')
        if not keep_ratio and min(scale) <= 0:
            raise ValueError(
                f'scale must be a positive (w, h) when keep_ratio=False, '
                f'got {scale}')
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f'Unknown interpolation {interpolation!r}; '
                             f'expected one of {list(INTERPOLATIONS)}')
        self.scale = scale
        self.keep_ratio = keep_ratio
        self.interpolation = interpolation

    def target_size(self, height: int, width: int) -> Tuple[int, int]:
        """Output ``(h, w)`` for a frame of ``(height, width)``."""
        if not self.keep_ratio:
            return self.scale[1], self.scale[0]
        long_bound, short_bound = max(self.scale), min(self.scale)
        if short_bound <= 0:
            long_bound, short_bound = math.inf, long_bound
        factor = min(long_bound / max(height, width),
                     short_bound / min(height, width))
        return int(height * factor + 0.5), int(width * factor + 0.5)

    def transform(self, results: Dict) -> Dict:
        imgs = results['imgs']
        out_h, out_w = self.target_size(*imgs.shape[1:3])
        if (out_h, out_w) != imgs.shape[1:3]:
            flag = INTERPOLATIONS[self.interpolation]
            results['imgs'] = np.stack([
                cv2.resize(frame, (out_w, out_h), interpolation=flag)
                for frame in imgs
            ])
        results['img_shape'] = (out_h, out_w)
        return results


@TRANSFORMS.register_module()
class RandomResizedCrop(BaseTransform):
    """Crop a random box of random area and aspect ratio (Inception style),
    optionally resizing it in the same step.

    The box covers a fraction of the frame area drawn from ``area_range``
    with a width / height ratio drawn log-uniformly from
    ``aspect_ratio_range``; after 10 draws that do not fit, it falls back to
    the largest centred square. Area fraction and ratio do not depend on the
    frame's scale, so drawing the box on full-resolution frames and resizing
    only the box to ``output_size`` samples the same crops as
    ``Resize(short side) -> RandomResizedCrop -> Resize(output_size)`` while
    resizing far fewer pixels, once.

    Required keys: ``imgs``. Updated keys: ``imgs``, ``img_shape``. Added
    keys: ``crop_bbox`` (``[x1, y1, x2, y2]`` in input pixels).

    Args:
        area_range (tuple[float, float]): Range of the crop's share of the
            frame area. Defaults to ``(0.08, 1.0)``.
        aspect_ratio_range (tuple[float, float]): Range of the crop's width /
            height. Defaults to ``(3 / 4, 4 / 3)``.
        output_size (int | tuple[int, int], optional): Resize the box to this
            side or ``(w, h)``; None only crops (follow it with
            :class:`Resize`). Defaults to None.
        interpolation (str): Interpolation of that resize, a key of
            ``INTERPOLATIONS``. Defaults to ``'bilinear'``.
    """

    max_attempts = 10

    def __init__(self,
                 area_range: Sequence[float] = (0.08, 1.0),
                 aspect_ratio_range: Sequence[float] = (3 / 4, 4 / 3),
                 output_size: Optional[Union[int, Tuple[int, int]]] = None,
                 interpolation: str = 'bilinear') -> None:
        if not 0 < area_range[0] <= area_range[1] <= 1:
            raise ValueError(
                f'area_range must satisfy 0 < low <= high <= 1, got '
                f'{area_range}')
        if not 0 < aspect_ratio_range[0] <= aspect_ratio_range[1]:
            raise ValueError(
                f'aspect_ratio_range must satisfy 0 < low <= high, got '
                f'{aspect_ratio_range}')
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        if output_size is not None and min(output_size) <= 0:
            raise ValueError(
                f'output_size must be positive, got {output_size}')
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f'Unknown interpolation {interpolation!r}; '
                             f'expected one of {list(INTERPOLATIONS)}')
        self.area_range = tuple(area_range)
        self.aspect_ratio_range = tuple(aspect_ratio_range)
        self.output_size = None if output_size is None else tuple(output_size)
        self.interpolation = interpolation

    def sample_box(self, height: int, width: int) -> Tuple[int, int, int, int]:
        """Draw a crop box ``(left, top, width, height)`` inside the frame."""
        log_ratios = np.log(self.aspect_ratio_range)
        for _ in range(self.max_attempts):
            area = np.random.uniform(*self.area_range) * height * width
            ratio = math.exp(np.random.uniform(*log_ratios))
            crop_w = int(round(math.sqrt(area * ratio)))
            crop_h = int(round(math.sqrt(area / ratio)))
            if 0 < crop_w <= width and 0 < crop_h <= height:
                left = np.random.randint(0, width - crop_w + 1)
                top = np.random.randint(0, height - crop_h + 1)
                return left, top, crop_w, crop_h
        side = min(height, width)
        return (width - side) // 2, (height - side) // 2, side, side

    def transform(self, results: Dict) -> Dict:
        box = self.sample_box(*results['imgs'].shape[1:3])
        if self.output_size is None:
            return _crop(results, *box)
        left, top, crop_w, crop_h = box
        flag = INTERPOLATIONS[self.interpolation]
        # cv2 reads the strided box in place: no full-frame copy or resize.
        results['imgs'] = np.stack([
            cv2.resize(frame[top:top + crop_h, left:left + crop_w],
                       self.output_size, interpolation=flag)
            for frame in results['imgs']
        ])
        results['crop_bbox'] = np.array(
            [left, top, left + crop_w, top + crop_h])
        results['img_shape'] = (self.output_size[1], self.output_size[0])
        return results


@TRANSFORMS.register_module()
class CenterCrop(BaseTransform):
    """Crop the centre of every frame.

    Required keys: ``imgs``. Updated keys: ``imgs``, ``img_shape``. Added
    keys: ``crop_bbox`` (``[x1, y1, x2, y2]``).

    Args:
        crop_size (int | tuple[int, int]): Output size, a side or ``(w, h)``.

    Raises:
        ValueError: If the frame is smaller than the crop.
    """

    def __init__(self, crop_size: Union[int, Tuple[int, int]]) -> None:
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        self.crop_size = tuple(crop_size)

    def crop_offset(self, height: int, width: int) -> Tuple[int, int]:
        """``(left, top)`` of the crop in a frame of ``(height, width)``."""
        crop_w, crop_h = self.crop_size
        return (width - crop_w) // 2, (height - crop_h) // 2

    def transform(self, results: Dict) -> Dict:
        height, width = results['imgs'].shape[1:3]
        crop_w, crop_h = self.crop_size
        if crop_w > width or crop_h > height:
            source = results.get('video_path', '<unknown video>')
            raise ValueError(
                f'{type(self).__name__} of (w, h)={self.crop_size} does not '
                f'fit frames of (w, h)=({width}, {height}) from {source}; '
                f'resize first')
        return _crop(results, *self.crop_offset(height, width), crop_w,
                     crop_h)


@TRANSFORMS.register_module()
class RandomCrop(CenterCrop):
    """Crop a fixed-size box at a uniformly random position, the same box in
    every frame: a random translation that keeps scale, shape and the
    direction of motion.

    ``Resize(scale=(72, 72), keep_ratio=False)`` followed by
    ``RandomCrop(64)`` in training and by ``CenterCrop(64)`` in test shifts
    the clip by up to 8 px at the test's scale. Keys, arguments and errors
    as :class:`CenterCrop`.
    """

    def crop_offset(self, height: int, width: int) -> Tuple[int, int]:
        crop_w, crop_h = self.crop_size
        return (np.random.randint(0, width - crop_w + 1),
                np.random.randint(0, height - crop_h + 1))


@TRANSFORMS.register_module()
class Flip(BaseTransform):
    """Flip every frame horizontally with probability ``flip_ratio``.

    A flip swaps left and right: do not use it when texts describe
    left / right (as the demo corpus's captions do). Clover pre-training does
    not flip.

    Required keys: ``imgs``. Updated keys: ``imgs``. Added keys: ``flip``
    (bool).

    Args:
        flip_ratio (float): Probability of flipping. Defaults to 0.5.
    """

    def __init__(self, flip_ratio: float = 0.5) -> None:
        if not 0 <= flip_ratio <= 1:
            raise ValueError(f'flip_ratio must be in [0, 1], got {flip_ratio}')
        self.flip_ratio = flip_ratio

    def transform(self, results: Dict) -> Dict:
        flip = bool(np.random.rand() < self.flip_ratio)
        if flip:
            results['imgs'] = np.ascontiguousarray(results['imgs'][:, :, ::-1])
        results['flip'] = flip
        return results
