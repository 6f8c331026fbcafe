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

    Frame orientation is taken as decoded: decord applies rotation metadata,
    PyAV does not.

    Args:
        backend (str): ``'decord'``, ``'pyav'`` or ``'auto'`` (decord, with a
            per-file fallback to PyAV). Defaults to ``'auto'``.
        num_threads (int): decord decoder threads. Defaults to 1.

    Raises:
        VideoDecodeError: If the file is missing, no backend can open it, or
            it holds no frame.
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
    """TSN-style sampling: one frame from each of ``num_frames`` segments.

    The ``total_frames`` frames are cut into ``num_frames`` segments of equal
    length; segment ``i`` covers frames ``[floor(i * n / T), floor((i + 1) *
    n / T))`` (at least one frame). Training draws a uniformly random frame
    from each segment; testing takes the frame at each segment's midpoint.
    A video shorter than ``num_frames`` gets one-frame segments that repeat
    frames in order, e.g. 3 frames sampled 8 times give
    ``[0, 0, 0, 1, 1, 1, 2, 2]``.

    Required keys: ``total_frames``. Added keys: ``frame_inds`` (int64
    ``(num_frames,)``), ``num_frames``.

    Args:
        num_frames (int): Frames per clip. Defaults to 8.
        test_mode (bool): Take segment midpoints instead of random frames.
            Defaults to False.
    """

    def __init__(self, num_frames: int = 8, test_mode: bool = False) -> None:
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        self.num_frames = num_frames
        self.test_mode = test_mode

    def sample(self, total_frames: int) -> np.ndarray:
        """Frame indices for a video of ``total_frames`` frames.

        Args:
            total_frames (int): Length of the video, >= 1.

        Returns:
            np.ndarray: int64 ``(num_frames,)`` non-decreasing indices in
            ``[0, total_frames)``.
        """
        boundaries = np.arange(self.num_frames + 1) * total_frames
        boundaries //= self.num_frames
        starts = boundaries[:-1]
        stops = np.maximum(boundaries[1:], starts + 1)
        if self.test_mode:
            midpoints = (2 * np.arange(self.num_frames) + 1) * total_frames
            midpoints //= 2 * self.num_frames
            return np.clip(midpoints, starts, stops - 1)
        return np.random.randint(starts, stops).astype(np.int64)

    def transform(self, results: Dict) -> Dict:
        results['frame_inds'] = self.sample(results['total_frames'])
        results['num_frames'] = self.num_frames
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
