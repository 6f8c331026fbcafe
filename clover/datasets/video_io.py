"""Video readers behind the loading transforms: decord first, PyAV second.

Both readers expose the same small interface (``num_frames``, ``fps``,
``read_frames(indices)``, ``close()``) and return RGB ``uint8`` frames, so the
transforms do not care which library decoded a file.

Two container quirks are handled here rather than in every transform:

- A container may claim more frames than it can decode (decord sometimes
  reports one frame more than it can return). A requested index that cannot be
  decoded is served by the last decodable frame before it; when decord fails
  on a frame, the read is redone with PyAV, whose sequential decode finds that
  frame exactly.
- A file that cannot be opened, or that yields no frame at all, raises
  :class:`VideoDecodeError` naming the file, which the dataset may skip during
  training.

Frames come out in display orientation whatever the reader: decord (like
OpenCV and the ffmpeg command line) applies a container's rotation metadata
(display matrix) itself, and the PyAV reader rotates each frame by its
``frame.rotation`` (degrees counter-clockwise) to match.

Frame ``i`` is the ``i``-th frame the decoder outputs (presentation order),
whatever the timestamps, so variable-frame-rate files index like constant
ones. The pixel aspect ratio is ignored (frames keep their stored width).
"""
import os.path as osp
from typing import Dict, Sequence

import av
# Before decord: decord's bundled zlib would otherwise be the one OpenCV's
# libpng binds to, and every PNG read by cv2.imread in this process fails
# ("libpng error: bad parameters to zlib").
import cv2  # noqa: F401
import numpy as np

try:
    import decord
except ImportError:  # decord has no wheel for some platforms (e.g. aarch64).
    decord = None

BACKENDS = ('auto', 'decord', 'pyav')


class VideoDecodeError(RuntimeError):
    """A video file is missing, cannot be opened or has no decodable frame.

    Args:
        path (str): The video file.
        reason (str): What went wrong.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f'Cannot decode video {path!r}: {reason}')
        self.path = path
        self.reason = reason


class VideoReader:
    """Common interface of the decord and PyAV readers.

    Attributes:
        path (str): The video file.
        backend (str): ``'decord'`` or ``'pyav'``.
        num_frames (int): Frames the container claims to hold.
        fps (float): Average frame rate.
    """

    backend = ''

    def __init__(self, path: str) -> None:
        self.path = path
        self.num_frames = 0
        self.fps = 0.0

    def read_frames(self, indices: Sequence[int]) -> np.ndarray:
        """Decode frames by index.

        Args:
            indices (Sequence[int]): Frame indices, any order, repeats
                allowed.

        Returns:
            np.ndarray: ``(T, H, W, 3)`` uint8 RGB frames with
            ``T = len(indices)``. An index that cannot be decoded gets the
            last decodable frame before it.

        Raises:
            VideoDecodeError: If the file yields no frame at all.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Release the underlying decoder."""

    def _stack(self, frames: Dict[int, np.ndarray],
               indices: Sequence[int]) -> np.ndarray:
        return np.stack([frames[index] for index in indices])


class DecordReader(VideoReader):
    """Reads frames with ``decord.VideoReader`` (random access).

    Args:
        path (str): The video file.
        num_threads (int): Decoder threads. One suits data-loader workers,
            which already run in parallel. Defaults to 1.
    """

    backend = 'decord'

    def __init__(self, path: str, num_threads: int = 1) -> None:
        super().__init__(path)
        if decord is None:
            raise VideoDecodeError(path, 'decord is not installed')
        try:
            self._reader = decord.VideoReader(path, num_threads=num_threads)
        except (RuntimeError, decord.DECORDError) as error:
            # decord appends a C++ stack trace; its first line says enough.
            first_line = str(error).strip().splitlines()[0]
            raise VideoDecodeError(path,
                                   f'decord cannot open it ({first_line})')
        self.num_frames = len(self._reader)
        self.fps = float(self._reader.get_avg_fps())

    def read_frames(self, indices: Sequence[int]) -> np.ndarray:
        unique = sorted(set(int(index) for index in indices))
        try:
            batch = self._reader.get_batch(unique).asnumpy()
        except (IndexError, RuntimeError, decord.DECORDError):
            # decord fails on frames it cannot decode (or that lie past its
            # count) and may fail again on the next call even for good frames;
            # PyAV's sequential decode finds the last decodable one exactly.
            fallback = PyAVReader(self.path)
            try:
                return fallback.read_frames(indices)
            finally:
                fallback.close()
        return self._stack(dict(zip(unique, batch)), indices)

    def close(self) -> None:
        self._reader = None


def _display_rgb(frame: av.VideoFrame) -> np.ndarray:
    """A decoded PyAV frame as RGB in display orientation, ``(H, W, 3)``."""
    rgb = frame.to_ndarray(format='rgb24')
    quarter_turns = round(frame.rotation / 90) % 4
    if quarter_turns:
        # np.rot90 turns counter-clockwise, like a positive display rotation.
        rgb = np.ascontiguousarray(np.rot90(rgb, quarter_turns))
    return rgb


class PyAVReader(VideoReader):
    """Reads frames with PyAV by decoding sequentially from the start.

    Sequential decoding is exact whatever the timestamps (no seek to a
    keyframe and count forward), at the cost of decoding every frame up to the
    largest requested index.

    Args:
        path (str): The video file.
    """

    backend = 'pyav'

    def __init__(self, path: str) -> None:
        super().__init__(path)
        try:
            self._container = av.open(path)
        except (av.FFmpegError, OSError) as error:
            raise VideoDecodeError(path, f'PyAV cannot open it ({error})')
        if not self._container.streams.video:
            self.close()
            raise VideoDecodeError(path, 'the file has no video stream')
        stream = self._container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        self.fps = float(rate) if rate else 0.0
        # Some containers (e.g. WebM) do not store a frame count; counting
        # packets needs no decoding.
        self.num_frames = stream.frames or self._count_packets()

    def _count_packets(self) -> int:
        count = sum(1 for packet in self._container.demux(video=0)
                    if packet.size > 0)
        self._container.seek(0)
        return count

    def read_frames(self, indices: Sequence[int]) -> np.ndarray:
        wanted_set = set(int(index) for index in indices)
        wanted = sorted(wanted_set)
        frames: Dict[int, np.ndarray] = {}
        last_decoded = None
        error_note = ''
        self._container.seek(0)
        try:
            for position, frame in enumerate(self._container.decode(video=0)):
                last_decoded = frame
                if position in wanted_set:
                    frames[position] = _display_rgb(frame)
                if position >= wanted[-1]:
                    break
        except av.FFmpegError as error:
            error_note = f' ({error})'
        if last_decoded is None:
            raise VideoDecodeError(self.path,
                                   f'no decodable frame{error_note}')
        if len(frames) < len(wanted):
            # Decoding is sequential, so it stopped before every missing
            # index: they all get the last frame it produced.
            fallback = _display_rgb(last_decoded)
            frames = {index: frames.get(index, fallback) for index in wanted}
        return self._stack(frames, indices)

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None


def open_video(path: str,
               backend: str = 'auto',
               num_threads: int = 1) -> VideoReader:
    """Open a video file with the requested backend.

    Args:
        path (str): The video file.
        backend (str): ``'decord'``, ``'pyav'``, or ``'auto'`` (decord, then
            PyAV if decord is missing or cannot open this file). Defaults to
            ``'auto'``.
        num_threads (int): decord decoder threads. Defaults to 1.

    Returns:
        VideoReader: An open reader; call ``close()`` when done.

    Raises:
        ValueError: If ``backend`` is unknown.
        VideoDecodeError: If the file is missing or no backend can open it.
    """
    if backend not in BACKENDS:
        raise ValueError(
            f'Unknown video backend {backend!r}; expected one of {BACKENDS}')
    if not osp.isfile(path):
        raise VideoDecodeError(path, 'the file does not exist')
    if backend == 'decord':
        return DecordReader(path, num_threads)
    if backend == 'pyav':
        return PyAVReader(path)
    try:
        return DecordReader(path, num_threads)
    except VideoDecodeError as decord_error:
        try:
            return PyAVReader(path)
        except VideoDecodeError as pyav_error:
            raise VideoDecodeError(
                path, f'{decord_error.reason}; {pyav_error.reason}')
