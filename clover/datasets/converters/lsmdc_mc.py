"""LSMDC 2016 movie multiple-choice test to Clover's ``multiple_choice``
schema.

Original files (LSMDC 2016 challenge, https://sites.google.com/site/
describingmovies/lsmdc-2016/download; format in its ``README``):
``LSMDC16_multiple_choice_train.csv``, ``LSMDC16_multiple_choice_valid.csv``
and ``LSMDC16_multiple_choice_test_randomized.csv``, tab-separated, no
header::

    train / valid: CLIP_ID  START_ALIGNED  END_ALIGNED  START_EXTRACTED
                   END_EXTRACTED  CORRECT_SENTENCE  DISTRACTOR_1 ... _4
    test:          CLIP_ID  (4 times)  SENTENCE_1 ... SENTENCE_5
                   ANSWER_INDEX (1-5)

In train and valid the right sentence is always the first candidate
(``answer_index`` 0); the candidates are kept in file order, since the
model scores each candidate on its own. Videos are stored per movie:
``<movie>/<CLIP_ID>.avi`` with ``<movie>`` the clip id without its
``_<start>-<end>`` suffix.
"""
import os.path as osp
from typing import Dict, Iterator, List, Sequence, Tuple

from .common import ConversionError
from .qa_utils import (get_index, get_text, progress, read_tsv, unique_ids,
                       write_splits)

DATASET_NAME = 'lsmdc_mc'
NUM_CANDIDATES = 5
SPLIT_FILES = {
    'train': 'LSMDC16_multiple_choice_train.csv',
    'val': 'LSMDC16_multiple_choice_valid.csv',
    'test': 'LSMDC16_multiple_choice_test_randomized.csv'
}
TIME_COLUMNS = ('start_aligned', 'end_aligned', 'start_extracted',
                'end_extracted')
SENTENCE_COLUMNS = tuple(f'sentence{i}' for i in range(1, NUM_CANDIDATES + 1))


def lsmdc_clip_video(clip_id: str, video_ext: str, flat: bool, path: str,
                     where: str) -> str:
    """The video path of an LSMDC clip relative to the video directory.

    Args:
        clip_id (str): e.g.
            ``'3001_21_JUMP_STREET_00.03.07.077-00.03.07.559'``.
        video_ext (str): e.g. ``'.avi'``.
        flat (bool): All clips in one directory instead of one per movie.
        path (str): The annotation file, for errors.
        where (str): The line, for errors.

    Returns:
        str: ``'<movie>/<clip_id><ext>'`` (or ``'<clip_id><ext>'`` if flat).
    """
    if flat:
        return f'{clip_id}{video_ext}'
    movie, _, times = clip_id.rpartition('_')
    if not movie or not times:
        raise ConversionError(
            f"{path}: {where}: clip id {clip_id!r} is not "
            "'<movie>_<start>-<end>', so its movie directory is unknown "
            '(use flat=True for a flat video directory)')
    return f'{movie}/{clip_id}{video_ext}'


def read_lsmdc_questions(path: str, fieldnames: Sequence[str],
                         video_ext: str, flat: bool
                         ) -> Iterator[Tuple[Dict, str, Dict]]:
    """Read an LSMDC question file (one question per line, keyed by clip).

    Yields, with a progress bar, each line's columns, where it is (for error
    messages) and the record's common fields: ``question_id`` (the clip id,
    with ``#1``, ``#2``... on its later lines), ``video_id`` and ``video``.
    """
    rows = read_tsv(path, f'LSMDC {osp.basename(path)}', fieldnames)
    clip_ids = [
        get_text(row, 'clip_id', path, f'line {line_number}')
        for line_number, row in rows
    ]
    for (line_number, row), clip_id, question_id in progress(
            zip(rows, clip_ids, unique_ids(clip_ids)),
            osp.basename(path),
            total=len(rows)):
        where = f'line {line_number}'
        yield row, where, dict(
            question_id=question_id,
            video_id=clip_id,
            video=lsmdc_clip_video(clip_id, video_ext, flat, path, where))


def _read_split(path: str, split: str, video_ext: str,
                flat: bool) -> List[Dict]:
    fieldnames = ('clip_id', ) + TIME_COLUMNS + SENTENCE_COLUMNS
    if split == 'test':
        fieldnames += ('answer_index', )
    records = []
    for row, where, record in read_lsmdc_questions(path, fieldnames,
                                                   video_ext, flat):
        answer_index = 0
        if split == 'test':
            answer_index = get_index(
                row, 'answer_index', path, where, NUM_CANDIDATES, first=1)
        records.append(
            dict(
                record,
                question='',
                candidates=[
                    get_text(row, column, path, where)
                    for column in SENTENCE_COLUMNS
                ],
                answer_index=answer_index))
    return records


def convert(ann_dir: str,
            out_dir: str,
            video_ext: str = '.avi',
            flat: bool = False) -> Dict[str, int]:
    """Convert the three LSMDC multiple-choice files.

    Args:
        ann_dir (str): Directory holding the original ``.csv`` files.
        out_dir (str): Where ``{train,val,test}.json`` are written.
        video_ext (str): Extension of the clip files.
        flat (bool): Clips are ``<clip_id><ext>`` in one directory instead of
            ``<movie>/<clip_id><ext>``.

    Returns:
        dict: ``split -> number of questions``.
    """
    splits = {}
    for split, file_name in SPLIT_FILES.items():
        path = osp.join(ann_dir, file_name)
        splits[split] = (_read_split(path, split, video_ext, flat), [path])
    return write_splits(out_dir, DATASET_NAME, 'multiple_choice', splits)
