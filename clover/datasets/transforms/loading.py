"""Open a video, choose its frames and decode them."""
from typing import Dict

import numpy as np

from clover.registry import TRANSFORMS
from ..video_io import VideoDecodeError, open_video
from .base import BaseTransform


@TRANSFORMS.register_module()
class VideoInit(BaseTransform):
    """Open ``results['video_path']`` and record its length and frame rate.

    Added keys: ``video_reader`` (an open reader, removed again by
    :class:`VideoDecode`), ``video_backend`` (``'decord'`` or ``'pyav'``),
    ``total_frames`` (frames the container claims), ``avg_fps``.

    Frame ``i`` is the ``i``-th frame of a sequential decode (presentation
    order) and comes in display orientation (rotation metadata applied),
    whichever backend reads it, see :mod:`clover.datasets.video_io`.

    Args:
        backend (str): ``'auto'`` or ``'pyav'`` (the exact PyAV reader:
            seeks where the container's timestamps allow it, checks every
            decoded timestamp, decodes sequentially otherwise) or
            ``'decord'`` (random access, refuses the files it reads wrongly).
            Defaults to ``'auto'``.
        num_threads (int): Decoder threads. Defaults to 1.

    Raises:
        VideoDecodeError: If the file is missing, cannot be opened, or holds
            no frame; :class:`~clover.datasets.video_io.FrameInexactError`
            (a subclass) if ``backend='decord'`` would read it wrongly.
    """

    def __init__(self, backend: str = 'auto', num_threads: int = 1) -> None:
        self.backend = backend
        self.num_threads = num_threads

    def transform(self, results: Dict) -> Dict:
        path = results['video_path']
        reader = open_video(path, self.backend, self.num_threads)
        if reader.num_frames < 1:
            reader.close()
            raise VideoDecodeError(path, 'the container holds no frame')
        results['video_reader'] = reader
        results['video_backend'] = reader.backend
        results['total_frames'] = reader.num_frames
        results['avg_fps'] = reader.fps
        return results


@TRANSFORMS.register_module()
class SampleFrames(BaseTransform):
    """TSN-style sampling: one frame from each of ``num_frames`` segments,
    for each of ``num_views`` views.

    The ``n = total_frames`` frames are cut into ``T = num_frames`` segments;
    segment ``i`` covers frames ``[floor(i * n / T), floor((i + 1) * n / T))``
    (at least one frame). Training draws a uniformly random frame from each
    segment, independently for every view. Testing takes, for view ``v`` of
    ``V``, the frame at the relative offset ``(v + 0.5) / V`` of each segment,
    i.e. the frame that holds the position ``(i + (v + 0.5) / V) * n / T``:
    one view takes the segment midpoints, ``V`` views are ``V`` evenly offset
    TSN samplings of the whole video (not ``V`` adjacent snippets). A video
    shorter than ``num_frames`` gets one-frame segments that repeat frames in
    order, e.g. 3 frames sampled 8 times give ``[0, 0, 0, 1, 1, 1, 2, 2]``.

    Required keys: ``total_frames``. Added keys: ``frame_inds`` (int64
    ``(num_views * num_frames,)``, view-major: view ``v`` is
    ``frame_inds[v * T:(v + 1) * T]``), ``num_frames`` (``T``), ``num_views``
    (``V``, also set when 1).

    Args:
        num_frames (int): Frames per view. Defaults to 8.
        num_views (int): Temporal views per video. Defaults to 1.
        test_mode (bool): Take evenly offset frames instead of random ones.
            Defaults to False.
    """

    def __init__(self,
                 num_frames: int = 8,
                 num_views: int = 1,
                 test_mode: bool = False) -> None:
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        if num_views < 1:
            raise ValueError(f'num_views must be >= 1, got {num_views}')
        self.num_frames = num_frames
        self.num_views = num_views
        self.test_mode = test_mode

    def sample(self, total_frames: int) -> np.ndarray:
        """Frame indices for a video of ``total_frames`` frames.

        Args:
            total_frames (int): Length of the video, >= 1.

        Returns:
            np.ndarray: int64 ``(num_views * num_frames,)`` indices in
            ``[0, total_frames)``, non-decreasing within each view.
        """
        boundaries = np.arange(self.num_frames + 1) * total_frames
        boundaries //= self.num_frames
        starts = boundaries[:-1]
        stops = np.maximum(boundaries[1:], starts + 1)
        if not self.test_mode:
            shape = (self.num_views, self.num_frames)
            return np.random.randint(starts, stops, shape).reshape(-1).astype(
                np.int64)
        # floor((i + (v + 0.5) / V) * n / T) in integer arithmetic.
        views, segments = np.meshgrid(
            np.arange(self.num_views), np.arange(self.num_frames),
            indexing='ij')
        numerators = 2 * self.num_views * segments + 2 * views + 1
        positions = numerators * total_frames // (2 * self.num_views *
                                                  self.num_frames)
        return np.clip(positions, starts, stops - 1).reshape(-1).astype(
            np.int64)

    def transform(self, results: Dict) -> Dict:
        results['frame_inds'] = self.sample(results['total_frames'])
        results['num_frames'] = self.num_frames
        results['num_views'] = self.num_views
        return results


@TRANSFORMS.register_module()
class VideoDecode(BaseTransform):
    """Decode ``results['frame_inds']`` into an RGB frame array.

    An index the container claims but cannot decode gets the last decodable
    frame before it. The reader is closed and removed from ``results`` so the
    sample stays picklable.

    Required keys: ``video_reader``, ``frame_inds``. Added keys: ``imgs``
    (uint8 ``(T, H, W, 3)`` RGB), ``img_shape`` and ``original_shape``
    (``(H, W)``). Removed keys: ``video_reader``.

    Raises:
        VideoDecodeError: If no requested frame can be decoded.
    """

    def transform(self, results: Dict) -> Dict:
        reader = results.pop('video_reader')
        try:
            imgs = reader.read_frames(results['frame_inds'])
        finally:
            reader.close()
        results['imgs'] = imgs
        results['img_shape'] = imgs.shape[1:3]
        results['original_shape'] = imgs.shape[1:3]
        return results
