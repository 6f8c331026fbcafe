"""TGIF-QA (Jang et al., CVPR 2017) to Clover's schema: Action and
Transition as ``multiple_choice``, FrameQA as ``qa_open``.

Original files (https://github.com/YunseokJANG/tgif-qa, ``dataset/``):
``{Train,Test}_{action,transition,frameqa}_question.csv``, tab-separated
with a header line:

- action / transition: ``gif_name question a1 a2 a3 a4 a5 answer vid_id key``
  (``answer`` is the 0-based index of the right candidate);
- frameqa: ``gif_name question answer type vid_id key description``
  (``type`` 0/1/2/3 = object/number/color/location).

``vid_id`` (``ACTION4``, ``FRAMEQA1159``...) identifies the question,
``gif_name`` the GIF (``<gif_name>.gif``; ``key`` is a number per GIF).
The release has no validation split.
"""
import os.path as osp
from typing import Dict, Sequence

from .common import ConversionError
from .qa_utils import (get_index, get_text, progress, read_tsv,
                       train_answer_vocab, unique_ids, write_splits)

TASKS = ('action', 'transition', 'frameqa')
SPLIT_PREFIXES = {'train': 'Train', 'test': 'Test'}
VOCAB_SIZE = 1540
NUM_CANDIDATES = 5
FRAMEQA_TYPES = {'0': 'object', '1': 'number', '2': 'color', '3': 'location'}


def _read_split(path: str, task: str, video_ext: str) -> list:
    """Read one TGIF-QA file into records of its task."""
    rows = read_tsv(path, f'TGIF-QA {osp.basename(path)}')
    question_ids = unique_ids([
        get_text(row, 'vid_id', path, f'line {line_number}')
        for line_number, row in rows
    ])
    records = []
    for (line_number, row), question_id in progress(
            zip(rows, question_ids), osp.basename(path), total=len(rows)):
        where = f'line {line_number}'
        gif_name = get_text(row, 'gif_name', path, where)
        record = dict(
            question_id=question_id,
            video_id=gif_name,
            video=f'{gif_name}{video_ext}',
            question=get_text(row, 'question', path, where))
        if task == 'frameqa':
            type_code = get_text(row, 'type', path, where)
            if type_code not in FRAMEQA_TYPES:
                raise ConversionError(
                    f"{path}: {where}: field 'type' must be one of "
                    f'{sorted(FRAMEQA_TYPES)}, got {type_code!r}')
            record.update(
                answer=get_text(row, 'answer', path, where),
                question_type=FRAMEQA_TYPES[type_code])
        else:
            record.update(
                candidates=[
                    get_text(row, f'a{i}', path, where)
                    for i in range(1, NUM_CANDIDATES + 1)
                ],
                answer_index=get_index(row, 'answer', path, where,
                                       NUM_CANDIDATES))
        records.append(record)
    return records


def convert(ann_dir: str,
            out_dir: str,
            tasks: Sequence[str] = TASKS,
            vocab_size: int = VOCAB_SIZE,
            video_ext: str = '.gif') -> Dict[str, int]:
    """Convert the train and test files of the chosen TGIF-QA tasks.

    Writes ``<task>_train.json`` and ``<task>_test.json`` per task. FrameQA
    keeps every question (the dataset drops training questions whose answer
    is outside the vocabulary).

    Args:
        ann_dir (str): Directory holding the original ``.csv`` files.
        out_dir (str): Output directory.
        tasks (Sequence[str]): Any of ``'action'``, ``'transition'``,
            ``'frameqa'``.
        vocab_size (int): FrameQA answer vocabulary size. Defaults to 1540.
        video_ext (str): Extension of the video files (``.gif`` as
            released; ``.mp4`` after converting the GIFs).

    Returns:
        dict: ``'<task>_<split>' -> number of questions``.
    """
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown or not tasks:
        raise ValueError(f'tasks must be a non-empty subset of {TASKS}, got '
                         f'{list(tasks)}')
    counts = {}
    for task in tasks:
        splits = {}
        for split, prefix in SPLIT_PREFIXES.items():
            path = osp.join(ann_dir, f'{prefix}_{task}_question.csv')
            splits[split] = (_read_split(path, task, video_ext), [path])
        if task == 'frameqa':
            vocab = train_answer_vocab(splits['train'][0], vocab_size)
            task_type = 'qa_open'
        else:
            vocab, task_type = None, 'multiple_choice'
        counts.update(
            write_splits(
                out_dir,
                f'tgif_{task}',
                task_type,
                splits,
                vocab,
                file_names={split: f'{task}_{split}'
                            for split in splits}))
    return counts
