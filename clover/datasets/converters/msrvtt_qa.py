"""MSRVTT-QA (Xu et al., ACM MM 2017) to Clover's ``qa_open`` schema.

Original files (https://github.com/xudejing/video-question-answering, data
on Mendeley): ``train_qa.json``, ``val_qa.json``, ``test_qa.json``, each a
JSON list of ``{"answer", "category_id", "id", "question", "video_id"}``.
``video_id`` N is MSR-VTT's ``video<N>.mp4``.
"""
import os.path as osp
from typing import Dict

from .qa_utils import (XU_SPLIT_FILES, read_xu_qa, train_answer_vocab,
                       write_splits)

DATASET_NAME = 'msrvtt_qa'
VOCAB_SIZE = 1500


def convert(ann_dir: str,
            out_dir: str,
            vocab_size: int = VOCAB_SIZE,
            video_ext: str = '.mp4') -> Dict[str, int]:
    """Convert the three MSRVTT-QA splits.

    Every record is kept (training questions whose answer is outside the
    vocabulary too; the dataset drops them when it loads the training set).

    Args:
        ann_dir (str): Directory holding ``{train,val,test}_qa.json``.
        out_dir (str): Where ``{train,val,test}.json`` are written.
        vocab_size (int): Size of the answer vocabulary, the most frequent
            training answers. Defaults to 1500.
        video_ext (str): Extension of MSR-VTT's video files.

    Returns:
        dict: ``split -> number of questions``.
    """

    def video_of(number, _):
        return f'video{number}', f'video{number}{video_ext}'

    splits = {}
    for split, file_name in XU_SPLIT_FILES.items():
        path = osp.join(ann_dir, file_name)
        splits[split] = (read_xu_qa(path, f'MSRVTT-QA {file_name}',
                                    video_of), [path])
    vocab = train_answer_vocab(splits['train'][0], vocab_size)
    return write_splits(out_dir, DATASET_NAME, 'qa_open', splits, vocab)
