"""Helpers shared by the video question-answering converters (MSRVTT-QA,
MSVD-QA, TGIF-QA, MSRVTT-MC, LSMDC-MC and LSMDC fill-in-the-blank)."""
import os.path as osp
from collections import Counter
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from tqdm import tqdm

from .common import (ConversionError, get_field, read_json, require_file,
                     top_answers, write_annotations)

# The split files of MSRVTT-QA and MSVD-QA (Xu et al., 2017).
XU_SPLIT_FILES = {
    'train': 'train_qa.json',
    'val': 'val_qa.json',
    'test': 'test_qa.json'
}
# Question types of MSRVTT-QA and MSVD-QA (Xu et al., 2017): the question word.
QUESTION_WORDS = ('what', 'who', 'how', 'when', 'where')


def progress(iterable: Iterable, desc: str, total: Optional[int] = None):
    """A tqdm bar over ``iterable`` that disappears once done."""
    return tqdm(iterable, desc=desc, total=total, unit=' rows', leave=False)


def read_tsv(path: str,
             what: str,
             fieldnames: Optional[Sequence[str]] = None
             ) -> List[Tuple[int, Dict[str, str]]]:
    """Read a tab-separated file as plain text: no quoting, one row a line.

    The LSMDC and TGIF-QA files are plain TSV; a CSV reader would treat a
    sentence that starts with a double quote as a quoted field and swallow
    the tabs after it, so lines are split on tabs only.

    Args:
        path (str): The file.
        what (str): What the file is, for the error when it is missing.
        fieldnames (Sequence[str], optional): Column names of a file without
            a header line; None reads them from the first line.

    Returns:
        list[tuple[int, dict]]: ``(line number, {column: value})`` for each
        non-blank line.
    """
    require_file(path, what)
    rows = []
    with open(path, encoding='utf-8-sig', newline='') as file:
        lines = enumerate(file, 1)
        if fieldnames is None:
            try:
                _, header = next(lines)
            except StopIteration:
                raise ConversionError(f'{path}: empty file, expected a '
                                      'header line') from None
            fieldnames = header.rstrip('\r\n').split('\t')
        for line_number, line in lines:
            line = line.rstrip('\r\n')
            if not line.strip():
                continue
            values = line.split('\t')
            if len(values) != len(fieldnames):
                raise ConversionError(
                    f'{path}: line {line_number} has {len(values)} '
                    f'tab-separated columns, expected {len(fieldnames)} '
                    f'({", ".join(fieldnames)})')
            rows.append((line_number, dict(zip(fieldnames, values))))
    return rows


def get_text(entry: Dict, field: str, path: str, where: str,
             allow_empty: bool = False) -> str:
    """``entry[field]`` as a string with surrounding whitespace removed;
    raises naming file, entry and field when missing, not a string or
    (unless ``allow_empty``) blank."""
    value = get_field(entry, field, path, where)
    if not isinstance(value, str):
        raise ConversionError(f"{path}: {where}: field '{field}' must be a "
                              f'string, got {type(value).__name__}')
    value = value.strip()
    if not value and not allow_empty:
        raise ConversionError(f"{path}: {where}: field '{field}' is empty")
    return value


def get_index(entry: Dict, field: str, path: str, where: str,
              num_choices: int, first: int = 0) -> int:
    """Read a candidate index written as an int or a decimal string and
    return it 0-based.

    Args:
        first (int): The index of the first candidate in the file (0, or 1
            for LSMDC's public test).
    """
    value = get_field(entry, field, path, where)
    if isinstance(value, str) and value.strip().lstrip('-').isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConversionError(f"{path}: {where}: field '{field}' must be an "
                              f'integer, got {value!r}')
    if not first <= value < first + num_choices:
        raise ConversionError(
            f"{path}: {where}: field '{field}' is {value}, outside "
            f'[{first}, {first + num_choices - 1}]')
    return value - first


def question_word_type(question: str) -> str:
    """The question type of MSRVTT-QA / MSVD-QA: the question's first word
    when it is one of :data:`QUESTION_WORDS`, else ``'other'``."""
    words = question.split()
    first = words[0].lower().strip('?,.') if words else ''
    return first if first in QUESTION_WORDS else 'other'


def unique_ids(base_ids: Sequence[str]) -> List[str]:
    """Make ids unique without renaming the first occurrence: the k-th
    repeat of an id (k >= 1) becomes ``'<id>#<k>'``."""
    seen = Counter()
    result = []
    for base_id in base_ids:
        repeat = seen[base_id]
        seen[base_id] += 1
        result.append(base_id if repeat == 0 else f'{base_id}#{repeat}')
    return result


def check_unique(records: List[Dict], path: str, id_field: str) -> None:
    """Raise when two records of one file share a ``question_id`` (read from
    the original field ``id_field``)."""
    seen = set()
    for record in records:
        question_id = record['question_id']
        if question_id in seen:
            raise ConversionError(
                f"{path}: question id {question_id!r} (field '{id_field}') "
                'appears twice; question ids must be unique')
        seen.add(question_id)


def write_splits(out_dir: str,
                 dataset_name: str,
                 task: str,
                 splits: Dict[str, Tuple[List[Dict], List[str]]],
                 answer_vocab: Optional[List[str]] = None,
                 file_names: Optional[Dict[str, str]] = None
                 ) -> Dict[str, int]:
    """Write one schema-v1 file per split.

    Args:
        out_dir (str): Output directory.
        dataset_name (str): ``metainfo.dataset_name``.
        task (str): ``'qa_open'``, ``'multiple_choice'`` or
            ``'fill_in_blank'``.
        splits (dict): ``split -> (records, original source paths)``.
        answer_vocab (list[str], optional): Written, unchanged, into every
            split's metainfo.
        file_names (dict, optional): ``split -> file stem`` when it is not
            the split name (TGIF-QA: ``action_train``...).

    Returns:
        dict: ``file stem -> number of records``.
    """
    counts = {}
    for split, (records, sources) in splits.items():
        metainfo = dict(
            dataset_name=dataset_name,
            split=split,
            source=[osp.basename(source) for source in sources])
        if answer_vocab is not None:
            metainfo['answer_vocab'] = list(answer_vocab)
        stem = (file_names or {}).get(split, split)
        write_annotations(
            osp.join(out_dir, f'{stem}.json'), metainfo, records, task)
        counts[stem] = len(records)
    return counts


def read_xu_qa(path: str, what: str,
               video_of: Callable[[int, str], Tuple[str, str]]
               ) -> List[Dict]:
    """Read one split of MSRVTT-QA / MSVD-QA (Xu et al., 2017) into
    ``qa_open`` records.

    The file is a JSON list of ``{"id": int, "video_id": int, "question":
    str, "answer": str, ...}`` (MSRVTT-QA adds ``category_id``, unused here).

    Args:
        path (str): ``train_qa.json``, ``val_qa.json`` or ``test_qa.json``.
        what (str): What the file is, for the error when it is missing.
        video_of (callable): ``(video number, entry description) ->
            (video_id, video path)``; raises :class:`ConversionError` for
            a number it cannot map.

    Returns:
        list[dict]: Records with ``question_id``, ``video_id``, ``video``,
        ``question``, ``answer`` and ``question_type``, in file order.
    """
    entries = read_json(path, what)
    if not isinstance(entries, list):
        raise ConversionError(f'{path}: expected a JSON list of questions, '
                              f'got {type(entries).__name__}')
    records = []
    for index, entry in progress(
            enumerate(entries), osp.basename(path), total=len(entries)):
        where = f'entry {index}'
        question_id = get_field(entry, 'id', path, where)
        if isinstance(question_id, bool) or not isinstance(
                question_id, (int, str)) or not str(question_id).strip():
            raise ConversionError(f"{path}: {where}: field 'id' must be an "
                                  f'integer or a string, got {question_id!r}')
        video_number = get_field(entry, 'video_id', path, where)
        if isinstance(video_number, str) and video_number.isdigit():
            video_number = int(video_number)
        if not isinstance(video_number, int) or isinstance(
                video_number, bool) or video_number < 0:
            raise ConversionError(
                f"{path}: {where}: field 'video_id' must be a non-negative "
                f'integer, got {video_number!r}')
        video_id, video = video_of(video_number, f'{path}: {where}')
        question = get_text(entry, 'question', path, where)
        records.append(
            dict(
                question_id=str(question_id),
                video_id=video_id,
                video=video,
                question=question,
                answer=get_text(entry, 'answer', path, where),
                question_type=question_word_type(question)))
    check_unique(records, path, 'id')
    return records


def train_answer_vocab(train_records: List[Dict], size: int) -> List[str]:
    """The ``size`` most frequent answers of the training records."""
    if size < 1:
        raise ValueError(f'vocab_size must be positive, got {size}')
    return top_answers((record['answer'] for record in train_records), size)
