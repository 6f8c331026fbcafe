"""Video readers behind the loading transforms.

Frame ``i`` of a file is the ``i``-th frame a sequential decode outputs
(presentation order), whatever the timestamps: variable-frame-rate files index
like constant ones, and a packet the decoder rejects is skipped, as the ffmpeg
command line skips it. The readers return exactly that frame for index ``i``,
or raise :class:`VideoDecodeError` naming the file, on every file they accept
that :meth:`PyAVReader.check_every_frame` passes
(``tools/misc/check_videos.py`` runs it on a corpus); for the files it fails
(damaged packets) see below.

- :class:`PyAVReader` (``backend='auto'`` or ``'pyav'``) demuxes the file once
  (no decoding) into a :class:`PacketIndex`: the timestamp of every frame in
  presentation order and the keyframes. To read frame ``i`` it seeks to the
  last keyframe ``k`` at or before ``i`` and decodes forward, checking that
  the decoder outputs the timestamps of frames ``k, k + 1, ..., i`` in turn;
  the keyframes it skips over are decoded on their own, because a keyframe the
  decoder rejects drops the frames that depend on it and shifts every later
  index. When a check fails (a rejected packet, a dropped or unknown
  timestamp, a frame the decoder marks corrupt) the read is redone by a
  sequential decode from the start, or, with ``on_inexact='raise'``, raises
  :class:`FrameInexactError`. The non-key frames of a skipped run are not
  decoded: a non-key packet the decoder rejects there shifts the later indices
  by one, unseen by that read (found by ``check_every_frame``). Containers
  whose timestamps do not give the presentation order (AVI, MPEG-TS/PS, FLV,
  ...: no stored presentation time or byte-based seeking) are decoded
  sequentially unless their codec is intra-only; those reads are exact on any
  file.
- :class:`DecordReader` (``backend='decord'``) uses decord's random access,
  which is fast but not exact on every file: it returns wrong frames for
  codecs with B-frames outside H.264/HEVC in MP4/MKV (MPEG-4 Part 2, MPEG-2),
  for AVI and MPEG-TS/PS with B-frames, and when the first frame is not a
  keyframe (a damaged or cut stream). Such files are refused with
  :class:`FrameInexactError`, found by demuxing alone; a damaged later
  keyframe is not (decoding it would cost what decord saves).

Two container quirks are handled here rather than in every transform:

- A container may claim more frames than it can decode. A requested index
  that cannot be decoded is served by the last decodable frame before it.
- A file that cannot be opened, or that yields no frame at all, raises
  :class:`VideoDecodeError` naming the file, which the dataset may skip during
  training.

Frames come out in display orientation whatever the reader: decord (like
OpenCV and the ffmpeg command line) applies a container's rotation metadata
(display matrix) itself, and the PyAV reader rotates each frame by its
``frame.rotation`` (degrees counter-clockwise) to match. The pixel aspect
ratio is ignored (frames keep their stored width).
"""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set

import av
# Before decord: decord's bundled zlib would otherwise be the one OpenCV's
# libpng binds to, and every PNG read by cv2.imread in this process fails
# ("libpng error: bad parameters to zlib").
import cv2  # noqa: F401
import numpy as np
from av.video.reformatter import VideoReformatter

try:
    import decord
except ImportError:  # decord has no wheel for some platforms (e.g. aarch64).
    decord = None

BACKENDS = ('auto', 'decord', 'pyav')
ON_INEXACT = ('sequential', 'raise')

# Demuxers (PyAV's ``format.name`` parts) whose packet timestamps are
# presentation times and whose seeking lands on the keyframe asked for.
TIMESTAMPED_FORMATS = frozenset({'mov', 'mp4', 'matroska', 'webm'})
# Codecs whose every frame is a keyframe: no reordering, any container seeks.
INTRA_ONLY_CODECS = frozenset({
    'mjpeg', 'rawvideo', 'png', 'ffv1', 'huffyuv', 'ffvhuff', 'utvideo',
    'prores', 'dnxhd', 'dvvideo', 'qtrle', 'jpeg2000'
})
# Codecs whose B-frames decord's random access gets right in MP4/MKV.
DECORD_REORDER_CODECS = frozenset({'h264', 'hevc'})


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


class FrameInexactError(VideoDecodeError):
    """The frames a reader would return are not the frames at the requested
    indices (a timestamp check failed, or decord is not exact on the file)."""


@dataclass
class PacketIndex:
    """What one demux pass (no decoding) tells about a video stream.

    Attributes:
        pts (np.ndarray): int64 ``(N,)`` timestamps of the ``N`` frames in
            presentation order (sorted).
        keyframes (np.ndarray): int64 positions in ``pts`` of the keyframes,
            increasing.
        reorders (bool): Whether the decode order differs from the
            presentation order (B-frames).
        format_name (str): The demuxer's name, e.g. ``'avi'``.
        codec_name (str): The decoder's name, e.g. ``'h264'``.
    """

    pts: np.ndarray
    keyframes: np.ndarray
    reorders: bool
    format_name: str
    codec_name: str

    @property
    def num_frames(self) -> int:
        return len(self.pts)

    @property
    def seekable(self) -> bool:
        """Whether seeking to a keyframe and checking timestamps is sound:
        the container stores presentation times (or the codec never
        reorders) and every frame has a distinct timestamp."""
        trusted = (self.codec_name in INTRA_ONLY_CODECS or bool(
            TIMESTAMPED_FORMATS & set(self.format_name.split(','))))
        return (trusted and self.starts_with_keyframe
                and len(np.unique(self.pts)) == len(self.pts))

    @property
    def starts_with_keyframe(self) -> bool:
        """Whether the first frame is a keyframe. If not (a damaged or cut
        stream), a sequential decode may drop the frames before the first
        keyframe, so packet counts do not give frame indices."""
        return len(self.keyframes) > 0 and self.keyframes[0] == 0

    @property
    def decord_inexact_reason(self) -> Optional[str]:
        """Why decord's random access is not exact on this stream, or
        ``None`` when it is (as far as the container tells)."""
        if not self.starts_with_keyframe:
            return 'the first frame is not a keyframe (damaged or cut stream)'
        if self.codec_name in INTRA_ONLY_CODECS:
            return None
        if not TIMESTAMPED_FORMATS & set(self.format_name.split(',')):
            # AVI, MPEG-TS/PS...: B-frames cannot be told from the packets
            # (AVI stores decode-order times only), and decord misreads them.
            return (f'decord may return wrong frames for {self.codec_name} '
                    f'in {self.format_name} (B-frames)')
        if self.reorders and self.codec_name not in DECORD_REORDER_CODECS:
            return (f'decord returns wrong frames for {self.codec_name} with '
                    f'B-frames in {self.format_name}')
        return None


def index_packets(container: av.container.InputContainer) -> PacketIndex:
    """Demux the first video stream of ``container`` (no decoding) and
    rewind it."""
    stream = container.streams.video[0]
    decode_order_pts, is_key = [], []
    for packet in container.demux(stream):
        if packet.size > 0:
            decode_order_pts.append(packet.pts)
            is_key.append(packet.is_keyframe)
    container.seek(0)
    if any(pts is None for pts in decode_order_pts):
        # No timestamps: only the decode order is known; it is not used for
        # seeking (``seekable`` is False through the duplicates).
        decode_order_pts = [-1] * len(decode_order_pts)
    decode_order_pts = np.asarray(decode_order_pts, np.int64)
    order = np.argsort(decode_order_pts, kind='stable')
    position_of = np.empty_like(order)
    position_of[order] = np.arange(len(order))
    return PacketIndex(
        pts=decode_order_pts[order],
        keyframes=np.sort(position_of[np.asarray(is_key, bool)]),
        reorders=bool(np.any(np.diff(decode_order_pts) < 0)),
        format_name=container.format.name,
        codec_name=stream.codec_context.name)


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
            FrameInexactError: If the reader cannot vouch for the frames.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Release the underlying decoder."""

    def _stack(self, frames: Dict[int, np.ndarray],
               indices: Sequence[int]) -> np.ndarray:
        return np.stack([frames[index] for index in indices])


def _display_rgb(frame: av.VideoFrame,
                 reformatter: VideoReformatter) -> np.ndarray:
    """A decoded PyAV frame as RGB in display orientation, ``(H, W, 3)``.

    One ``reformatter`` per reader keeps its conversion context from frame to
    frame (``frame.to_ndarray`` builds a new one for every frame).
    """
    rgb = reformatter.reformat(frame, format='rgb24').to_ndarray()
    quarter_turns = round(frame.rotation / 90) % 4
    if quarter_turns:
        # np.rot90 turns counter-clockwise, like a positive display rotation.
        rgb = np.ascontiguousarray(np.rot90(rgb, quarter_turns))
    return rgb


class _CheckFailed(Exception):
    """A timestamp check of the seeking path failed (internal)."""


class PyAVReader(VideoReader):
    """Reads frames with PyAV, exactly (see the module docstring).

    Args:
        path (str): The video file.
        num_threads (int): Decoder threads. Defaults to 1.
        on_inexact (str): What a failed timestamp check does:
            ``'sequential'`` re-reads by decoding from the start (exact,
            slower), ``'raise'`` raises :class:`FrameInexactError`. Defaults
            to ``'sequential'``.

    Attributes:
        index (PacketIndex): The stream's packets.
        sequential (bool): Whether reads decode from the start (the container
            cannot seek exactly).
    """

    backend = 'pyav'

    def __init__(self,
                 path: str,
                 num_threads: int = 1,
                 on_inexact: str = 'sequential') -> None:
        super().__init__(path)
        if on_inexact not in ON_INEXACT:
            raise ValueError(f'on_inexact must be one of {ON_INEXACT}, got '
                             f'{on_inexact!r}')
        self.on_inexact = on_inexact
        self._reformatter = VideoReformatter()
        try:
            self._container = av.open(path)
        except (av.FFmpegError, OSError) as error:
            raise VideoDecodeError(path, f'PyAV cannot open it ({error})')
        if not self._container.streams.video:
            self.close()
            raise VideoDecodeError(path, 'the file has no video stream')
        self._stream = self._container.streams.video[0]
        self._stream.thread_count = num_threads
        rate = self._stream.average_rate or self._stream.guessed_rate
        self.fps = float(rate) if rate else 0.0
        try:
            self.index = index_packets(self._container)
        except av.FFmpegError as error:
            self.close()
            raise VideoDecodeError(path, f'PyAV cannot demux it ({error})')
        self.num_frames = self.index.num_frames
        self.sequential = not self.index.seekable

    def read_frames(self, indices: Sequence[int]) -> np.ndarray:
        wanted = sorted(set(int(index) for index in indices))
        if not self.sequential and wanted[-1] < self.num_frames:
            try:
                return self._stack(self._read_by_seeking(wanted), indices)
            except _CheckFailed as failure:
                if self.on_inexact == 'raise':
                    raise FrameInexactError(self.path, str(failure))
        return self._stack(self._read_sequentially(wanted), indices)

    def check_every_frame(self) -> int:
        """Decode the whole stream once, without colour conversion, and check
        it as reads check the runs they decode.

        A read checks the keyframe runs it decodes and the keyframes before
        them, not the other frames of the runs it skips: a packet the decoder
        rejects there drops a frame from a sequential decode and shifts every
        later index, unseen by that read. This pass sees it.

        Returns:
            int: Frames a sequential decode outputs.

        Raises:
            FrameInexactError: If the file seeks and a check fails (a read
                that skips the failing run would return wrong frames).
            VideoDecodeError: If no frame decodes.
        """
        if self.sequential:
            return len(self._read_sequentially(list(range(self.num_frames)),
                                               convert=False))
        try:
            self._decode_run(0, self.num_frames - 1, set())
        except _CheckFailed as failure:
            raise FrameInexactError(self.path, str(failure))
        return self.num_frames

    def _read_by_seeking(self, wanted: List[int]) -> Dict[int, np.ndarray]:
        """Frames ``wanted`` (sorted, within the index), one keyframe run
        each: seek, decode forward, check every timestamp."""
        keyframes = self.index.keyframes
        # Run start of each wanted frame: the last keyframe at or before it.
        starts = keyframes[np.searchsorted(keyframes, wanted, 'right') - 1]
        frames: Dict[int, np.ndarray] = {}
        for start in np.unique(starts):
            run = [index for index, run_start in zip(wanted, starts)
                   if run_start == start]
            frames.update(self._decode_run(int(start), run[-1], set(run)))
        for keyframe in np.setdiff1d(keyframes[keyframes <= wanted[-1]],
                                     starts):
            self._check_keyframe(int(keyframe))
        return frames

    def _seek(self, keyframe: int) -> None:
        """Seek to a keyframe, with an empty decoder."""
        self._container.seek(int(self.index.pts[keyframe]),
                             stream=self._stream)
        self._stream.codec_context.flush_buffers()

    def _check_keyframe(self, keyframe: int) -> None:
        """Decode keyframe ``keyframe`` alone (its packet, then a drain, so
        no later frame is decoded) and check it as :meth:`_decode_run`
        does."""
        self._seek(keyframe)
        try:
            for packet in self._container.demux(self._stream):
                if packet.pts == self.index.pts[keyframe]:
                    decoded = (self._stream.decode(packet) +
                               self._stream.decode(None))
                    break
            else:
                decoded = []
        except av.FFmpegError as error:
            raise _CheckFailed(f'the decoder rejected the keyframe of frame '
                               f'{keyframe} ({error})')
        if not decoded or self._position_of(decoded[0].pts) != keyframe:
            raise _CheckFailed(f'the keyframe of frame {keyframe} decodes to '
                               'no frame of its own')
        if decoded[0].is_corrupt:
            raise _CheckFailed(f'the decoder marks frame {keyframe} corrupt')

    def _decode_run(self, start: int, stop: int,
                    keep: Set[int]) -> Dict[int, np.ndarray]:
        """Seek to keyframe ``start`` and decode through frame ``stop``,
        returning the frames in ``keep``.

        Raises:
            _CheckFailed: If the decoder rejects a packet, marks a frame
                corrupt (it would then differ from the frame a sequential
                decode conceals from earlier frames), or does not output the
                timestamps of frames ``start, start + 1, ..., stop`` in turn.
        """
        self._seek(start)
        frames, expected = {}, start
        try:
            for packet in self._container.demux(self._stream):
                for frame in self._stream.decode(packet):
                    position = self._position_of(frame.pts)
                    if position < start:
                        continue  # a seek before the keyframe asked for
                    if position != expected:
                        raise _CheckFailed(
                            f'after seeking, frame {expected} (pts '
                            f'{self.index.pts[expected]}) was due, the '
                            f'decoder gave pts {frame.pts}')
                    if frame.is_corrupt:
                        raise _CheckFailed(
                            f'the decoder marks frame {position} corrupt')
                    if position in keep:
                        frames[position] = self._rgb(frame)
                    if position == stop:
                        return frames
                    expected += 1
        except av.FFmpegError as error:
            raise _CheckFailed(f'the decoder rejected a packet before frame '
                               f'{expected} ({error})')
        raise _CheckFailed(f'the decoder stopped before frame {expected}')

    def _rgb(self, frame: av.VideoFrame) -> np.ndarray:
        return _display_rgb(frame, self._reformatter)

    def _position_of(self, pts: Optional[int]) -> int:
        """Presentation position of a decoded frame's timestamp."""
        if pts is None:
            raise _CheckFailed('the decoder gave a frame without pts')
        position = int(np.searchsorted(self.index.pts, pts))
        if position == self.num_frames or self.index.pts[position] != pts:
            raise _CheckFailed(
                f'the decoder gave pts {pts}, which no packet has')
        return position

    def _read_sequentially(self,
                           wanted: List[int],
                           convert: bool = True
                           ) -> Dict[int, Optional[np.ndarray]]:
        """Frames ``wanted`` (sorted) by decoding from the start, skipping
        packets the decoder rejects; ``convert=False`` keeps ``None`` for
        each decoded frame instead of its RGB array (to count them)."""
        self._container.seek(0)
        self._stream.codec_context.flush_buffers()
        frames: Dict[int, np.ndarray] = {}
        last_decoded, position, error_note = None, 0, ''
        wanted_set = set(wanted)
        for packet in self._container.demux(self._stream):
            try:
                decoded = self._stream.decode(packet)
            except av.FFmpegError as error:
                error_note = f' ({error})'
                continue
            for frame in decoded:
                last_decoded = frame
                if position in wanted_set:
                    frames[position] = self._rgb(frame) if convert else None
                position += 1
            if position > wanted[-1]:
                break
        if last_decoded is None:
            raise VideoDecodeError(self.path,
                                   f'no decodable frame{error_note}')
        if len(frames) < len(wanted) and convert:
            # Decoding is sequential, so it stopped before every missing
            # index: they all get the last frame it produced.
            fallback = self._rgb(last_decoded)
            frames = {index: frames.get(index, fallback) for index in wanted}
        return frames

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None


class DecordReader(VideoReader):
    """Reads frames with ``decord.VideoReader`` (random access).

    The file is first demuxed with PyAV (no decoding) and refused when
    decord would return wrong frames (see the module docstring). A damaged
    keyframe after the first is not found without decoding it: decord then
    returns frames that differ from a sequential decode in that keyframe's
    group of pictures (``tools/misc/check_videos.py`` finds such files).

    Args:
        path (str): The video file.
        num_threads (int): Decoder threads. One suits data-loader workers,
            which already run in parallel. Defaults to 1.

    Raises:
        FrameInexactError: If decord's random access is not exact on it.
    """

    backend = 'decord'

    def __init__(self, path: str, num_threads: int = 1) -> None:
        super().__init__(path)
        if decord is None:
            raise VideoDecodeError(path, 'decord is not installed')
        probe = PyAVReader(path)
        reason = probe.index.decord_inexact_reason
        probe.close()
        if reason is not None:
            raise FrameInexactError(path, f"{reason}; use backend='auto'")
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
            # PyAV finds the last decodable one exactly.
            fallback = PyAVReader(self.path)
            try:
                return fallback.read_frames(indices)
            finally:
                fallback.close()
        return self._stack(dict(zip(unique, batch)), indices)

    def close(self) -> None:
        self._reader = None


def open_video(path: str,
               backend: str = 'auto',
               num_threads: int = 1,
               on_inexact: str = 'sequential') -> VideoReader:
    """Open a video file with the requested backend.

    Args:
        path (str): The video file.
        backend (str): ``'auto'`` or ``'pyav'`` (the exact PyAV reader) or
            ``'decord'`` (faster random access, refuses the files it reads
            wrongly). Defaults to ``'auto'``.
        num_threads (int): Decoder threads. Defaults to 1.
        on_inexact (str): PyAV reader only: ``'sequential'`` or ``'raise'``,
            see :class:`PyAVReader`. Defaults to ``'sequential'``.

    Returns:
        VideoReader: An open reader; call ``close()`` when done.

    Raises:
        ValueError: If ``backend`` is unknown.
        VideoDecodeError: If the file is missing or cannot be opened.
        FrameInexactError: With ``backend='decord'``, if decord is not exact
            on the file.
    """
    if backend not in BACKENDS:
        raise ValueError(
            f'Unknown video backend {backend!r}; expected one of {BACKENDS}')
    if not osp.isfile(path):
        raise VideoDecodeError(path, 'the file does not exist')
    if backend == 'decord':
        return DecordReader(path, num_threads)
    return PyAVReader(path, num_threads, on_inexact)
