"""Streaming readers and bookkeeping shared by the retrieval and image-text
converters (WebVid, CC3M, MSR-VTT, DiDeMo, LSMDC).

The corpora with millions of rows (WebVid-2M, CC3M) are read row by row
instead of through :func:`~clover.datasets.converters.common.read_table`,
which loads a whole table into memory.
"""
import csv
import os.path as osp
from collections import Counter
from typing import Dict, Iterable, Iterator, List, Sequence, Tuple

from mmengine.logging import MMLogger
from tqdm import tqdm

from .common import ConversionError, require_file


def progress(iterable: Iterable, description: str) -> Iterable:
    """Wrap ``iterable`` in a tqdm bar (hidden when stderr is no terminal)."""
    return tqdm(iterable, desc=description, unit=' rows', disable=None)


def iter_csv_rows(path: str, what: str,
                  required: Sequence[str]) -> Iterator[Tuple[int, Dict]]:
    """Stream a CSV file with a header row.

    Args:
        path (str): The file.
        what (str): What it is, for the error messages.
        required (Sequence[str]): Columns the header must name.

    Yields:
        tuple[int, dict]: The line number of the row (the header is line 1;
        a quoted caption spanning lines gives its last line) and the row.

    Raises:
        ConversionError: If a required column is missing or a row has a
            different number of columns than the header.
    """
    require_file(path, what)
    with open(path, encoding='utf-8', newline='') as file:
        reader = csv.DictReader(file)
        header = reader.fieldnames or []
        for column in required:
            if column not in header:
                raise ConversionError(
                    f"{path}: the header has no column '{column}' (found: "
                    f'{", ".join(header) or "an empty file"})')
        for row in progress(reader, osp.basename(path)):
            if None in row or None in row.values():
                raise ConversionError(
                    f'{path}: line {reader.line_num} has '
                    f'{"more" if None in row else "fewer"} columns than the '
                    f'header ({", ".join(header)})')
            yield reader.line_num, row


def iter_tsv_lines(path: str, what: str, num_fields: int,
                   header: Sequence[str] = ()) -> Iterator[Tuple[int, List]]:
    """Stream a headerless tab-separated file, splitting only on tabs (quotes
    inside captions are text, not CSV quoting).

    Args:
        path (str): The file.
        what (str): What it is, for the error messages.
        num_fields (int): Fields every line must have.
        header (Sequence[str]): A first line equal to these fields is a
            header some tools add, and is skipped.

    Yields:
        tuple[int, list[str]]: The 1-based line number and the fields.
        Blank lines are skipped.

    Raises:
        ConversionError: On a line with another number of fields.
    """
    require_file(path, what)
    with open(path, encoding='utf-8', newline='') as file:
        for line_number, line in enumerate(
                progress(file, osp.basename(path)), 1):
            line = line.rstrip('\r\n')
            if not line.strip():
                continue
            fields = line.split('\t')
            if line_number == 1 and header and fields == list(header):
                continue
            if len(fields) != num_fields:
                raise ConversionError(
                    f'{path}: line {line_number} has {len(fields)} '
                    f'tab-separated fields, expected {num_fields}')
            yield line_number, fields


def group_captions(
        pairs: Iterable[Tuple[str, str]]) -> Tuple[Dict[str, List], int]:
    """Collect the captions of each video, both in their original order.

    Args:
        pairs (Iterable[tuple[str, str]]): ``(video_id, caption)`` pairs.

    Returns:
        tuple[dict[str, list[str]], int]: Video id to its stripped non-blank
        captions (videos in order of first appearance; a video with only
        blank captions maps to an empty list), and the number of blank
        captions left out.
    """
    captions: Dict[str, List[str]] = {}
    num_blank = 0
    for video_id, caption in pairs:
        caption = caption.strip()
        video_captions = captions.setdefault(video_id, [])
        if caption:
            video_captions.append(caption)
        else:
            num_blank += 1
    return captions, num_blank


def log_skips(source: str, skipped: Counter) -> None:
    """Log how many entries of ``source`` were left out, and why."""
    if not skipped:
        return
    reasons = ', '.join(f'{count} {reason}'
                        for reason, count in sorted(skipped.items()))
    MMLogger.get_current_instance().warning(
        f'{source}: left out {sum(skipped.values())} entries ({reasons})')


def split_metainfo(dataset_name: str, split: str, sources: Sequence[str],
                   skipped: Counter) -> Dict:
    """The ``metainfo`` of one converted split: name, split, the original
    files' names and the skip counts by reason."""
    return dict(
        dataset_name=dataset_name,
        split=split,
        source=[osp.basename(path) for path in sources],
        skipped=dict(sorted(skipped.items())))
