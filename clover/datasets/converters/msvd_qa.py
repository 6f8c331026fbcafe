"""MSVD-QA (Xu et al., ACM MM 2017) to Clover's ``qa_open`` schema.

Original files (https://github.com/xudejing/video-question-answering, data
on Mendeley): ``train_qa.json``, ``val_qa.json``, ``test_qa.json`` (JSON
lists of ``{"answer", "id", "question", "video_id"}``) and
``youtube_mapping.txt``, one ``<YouTube clip name> vid<N>`` per line (e.g.
``-4wsuPCjDBc_5_15 vid1``). A question's ``video_id`` N is ``vid<N>``
(1-based, as the mapping), i.e. the MSVD file ``<YouTube clip name>.avi``.
"""
import os.path as osp
import re
from typing import Dict, Optional

from .common import ConversionError, require_file
from .qa_utils import (XU_SPLIT_FILES, read_xu_qa, train_answer_vocab,
                       write_splits)

DATASET_NAME = 'msvd_qa'
VOCAB_SIZE = 1000
MAPPING_FILE = 'youtube_mapping.txt'
_VID_PATTERN = re.compile(r'vid(\d+)')


def read_youtube_mapping(path: str) -> Dict[int, str]:
    """Read ``youtube_mapping.txt`` into ``{N: YouTube clip name}``."""
    require_file(path, f'MSVD-QA {MAPPING_FILE}')
    clips = {}
    with open(path, encoding='utf-8') as file:
        for line_number, line in enumerate(file, 1):
            fields = line.split()
            if not fields:
                continue
            match = _VID_PATTERN.fullmatch(fields[-1])
            if len(fields) != 2 or match is None:
                raise ConversionError(
                    f'{path}: line {line_number} must be '
                    f"'<YouTube clip name> vid<N>', got {line.strip()!r}")
            number = int(match.group(1))
            if number in clips:
                raise ConversionError(
                    f'{path}: line {line_number}: vid{number} is mapped '
                    'twice')
            clips[number] = fields[0]
    return clips


def convert(ann_dir: str,
            out_dir: str,
            mapping_file: Optional[str] = None,
            vocab_size: int = VOCAB_SIZE,
            video_ext: str = '.avi') -> Dict[str, int]:
    """Convert the three MSVD-QA splits.

    Every record is kept (training questions whose answer is outside the
    vocabulary too; the dataset drops them when it loads the training set).

    Args:
        ann_dir (str): Directory holding ``{train,val,test}_qa.json``.
        out_dir (str): Where ``{train,val,test}.json`` are written.
        mapping_file (str, optional): ``youtube_mapping.txt``; defaults to
            the one in ``ann_dir``.
        vocab_size (int): Size of the answer vocabulary. Defaults to 1000.
        video_ext (str): Extension of the MSVD video files.

    Returns:
        dict: ``split -> number of questions``.
    """
    mapping_file = mapping_file or osp.join(ann_dir, MAPPING_FILE)
    clips = read_youtube_mapping(mapping_file)

    def video_of(number, where):
        if number not in clips:
            raise ConversionError(
                f"{where}: field 'video_id' is {number}, but vid{number} is "
                f'not in {mapping_file}')
        return f'vid{number}', f'{clips[number]}{video_ext}'

    splits = {}
    for split, file_name in XU_SPLIT_FILES.items():
        path = osp.join(ann_dir, file_name)
        splits[split] = (read_xu_qa(path, f'MSVD-QA {file_name}', video_of),
                         [path, mapping_file])
    vocab = train_answer_vocab(splits['train'][0], vocab_size)
    return write_splits(out_dir, DATASET_NAME, 'qa_open', splits, vocab)
