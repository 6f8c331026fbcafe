"""Retrieval contact sheets: a query, then one row of frames per ranked video.

A sheet is an RGB ``uint8`` array, so it goes wherever MMEngine's
``Visualizer.add_image`` sends images (PNG files of ``LocalVisBackend``,
TensorBoard's image tab, ...) or straight to a PNG file.
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from clover.datasets.video_io import open_video

MATCH_COLOR = (40, 170, 60)
BACKGROUND = (255, 255, 255)
TEXT_COLOR = (20, 20, 20)
PLACEHOLDER = (200, 200, 200)
MARGIN = 8
BORDER = 3
LABEL_WIDTH = 150
FONT_SIZE = 14


@dataclass
class SheetRow:
    """One ranked video of a contact sheet.

    Attributes:
        rank (int): 1-based rank among the gallery.
        score (float): Its similarity with the query.
        name (str): What identifies the video (its id or file name).
        frames (np.ndarray, optional): ``(T, H, W, 3)`` RGB ``uint8``
            frames; None draws grey cells (a video that could not be read).
        is_match (bool): The query's ground truth (framed in green).
    """
    rank: int
    score: float
    name: str
    frames: Optional[np.ndarray]
    is_match: bool = False


def clip_frame_indices(total: int, num_frames: int) -> np.ndarray:
    """``num_frames`` evenly spaced frame indices of a ``total``-frame clip:
    the middle frame of each of ``num_frames`` equal segments."""
    if total < 1 or num_frames < 1:
        raise ValueError(f'need total >= 1 and num_frames >= 1, got '
                         f'total={total}, num_frames={num_frames}')
    return ((np.arange(num_frames) + 0.5) * total / num_frames).astype(int)


def read_clip_frames(path: str,
                     num_frames: int,
                     backend: str = 'auto') -> np.ndarray:
    """Decode ``num_frames`` evenly spaced frames of a video.

    Args:
        path (str): The video file.
        num_frames (int): Frames to return.
        backend (str): Decoder, as for :func:`~clover.datasets.video_io.
            open_video`. Defaults to ``'auto'``.

    Returns:
        np.ndarray: ``(num_frames, H, W, 3)`` RGB ``uint8``.

    Raises:
        VideoDecodeError: If the file is missing or cannot be decoded.
    """
    reader = open_video(path, backend=backend)
    try:
        return reader.read_frames(
            clip_frame_indices(reader.num_frames, num_frames))
    finally:
        reader.close()


def _font(size: int = FONT_SIZE) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # a Pillow without FreeType
        return ImageFont.load_default()


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int
          ) -> List[str]:
    """Greedy word wrap of ``text`` to lines at most ``width`` pixels wide
    (a single word longer than that stays on its own line)."""
    lines, line = [], ''
    for word in text.split():
        candidate = f'{line} {word}'.strip()
        if line and draw.textlength(candidate, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + [line] if line else lines or ['']


def _fit(frame: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Letterbox an RGB frame into a black ``(height, width)`` cell."""
    height, width = size
    scale = min(height / frame.shape[0], width / frame.shape[1])
    new_h = max(1, round(frame.shape[0] * scale))
    new_w = max(1, round(frame.shape[1] * scale))
    resized = cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_AREA)
    cell = np.zeros((height, width, 3), np.uint8)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    cell[top:top + new_h, left:left + new_w] = resized
    return cell


def draw_retrieval_sheet(query: str,
                         rows: Sequence[SheetRow],
                         num_frames: int,
                         frame_size: Tuple[int, int] = (96, 96),
                         title: Optional[str] = None) -> np.ndarray:
    """Draw a contact sheet: the query on top, then one row per video.

    Each row starts with its rank, score and name, then ``num_frames``
    frame cells of ``frame_size`` (frames are letterboxed, so any aspect
    ratio fits). The ground-truth row is framed in green and labelled
    ``ground truth``. Rows are drawn in the order given.

    Args:
        query (str): The query text (wrapped to the sheet width).
        rows (Sequence[SheetRow]): The videos, best first.
        num_frames (int): Frame cells per row (a row with fewer frames
            leaves the rest blank; extra frames are dropped).
        frame_size (tuple[int, int]): ``(height, width)`` of a cell.
            Defaults to (96, 96).
        title (str, optional): A line above the query (e.g. the epoch).

    Returns:
        np.ndarray: ``(H, W, 3)`` RGB ``uint8`` sheet.
    """
    cell_h, cell_w = frame_size
    row_h = cell_h + 2 * BORDER + MARGIN
    width = 2 * MARGIN + LABEL_WIDTH + num_frames * (cell_w + MARGIN)
    font = _font()
    line_h = FONT_SIZE + 4
    measure = ImageDraw.Draw(Image.new('RGB', (1, 1)))
    header = ([title] if title else []) + _wrap(
        measure, f'query: {query}', font, width - 2 * MARGIN)
    header_h = MARGIN + len(header) * line_h + MARGIN
    sheet = Image.new('RGB', (width, header_h + len(rows) * row_h + MARGIN),
                      BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for i, line in enumerate(header):
        draw.text((MARGIN, MARGIN + i * line_h), line, fill=TEXT_COLOR,
                  font=font)
    for i, row in enumerate(rows):
        top = header_h + i * row_h
        color = MATCH_COLOR if row.is_match else TEXT_COLOR
        labels = [f'#{row.rank}  {row.score:.3f}', row.name[:20]]
        if row.is_match:
            labels.append('ground truth')
        if row.frames is None:
            labels.append('(not decodable)')
        for j, label in enumerate(labels):
            draw.text((MARGIN, top + BORDER + j * line_h), label, fill=color,
                      font=font)
        left = MARGIN + LABEL_WIDTH
        if row.is_match:
            draw.rectangle(
                (left - BORDER, top,
                 left + num_frames * (cell_w + MARGIN) - MARGIN + BORDER - 1,
                 top + cell_h + 2 * BORDER - 1),
                outline=MATCH_COLOR, width=BORDER)
        for t in range(num_frames):
            box = (left + t * (cell_w + MARGIN), top + BORDER)
            if row.frames is None:
                draw.rectangle((*box, box[0] + cell_w - 1,
                                box[1] + cell_h - 1), fill=PLACEHOLDER)
            elif t < len(row.frames):
                sheet.paste(
                    Image.fromarray(_fit(row.frames[t], frame_size)), box)
    return np.asarray(sheet)
