"""LSMDC 2016 movie fill-in-the-blank (MovieFIB, Maharaj et al., CVPR
2017) to Clover's ``fill_in_blank`` schema.

Original files (LSMDC 2016 challenge, https://sites.google.com/site/
describingmovies/lsmdc-2016/download; format in its ``README``):
``LSMDC16_annos_training_FIB.csv``, ``LSMDC16_annos_val_FIB.csv`` and
``LSMDC16_annos_test_FIB.csv``, tab-separated, no header::

    CLIP_ID  START_ALIGNED  END_ALIGNED  START_EXTRACTED  END_EXTRACTED
    SENTENCE  FILL_IN  BLANK

``FILL_IN`` is the sentence with the blanked word written as ``_____``
(https://github.com/teganmaharaj/MovieFIB, ``create_dataset``); ``BLANK``
is the removed word, the answer. A clip has one line per blanked word.
"""
import os.path as osp
import re
from typing import Dict, List

from .common import ConversionError
from .lsmdc_mc import TIME_COLUMNS, read_lsmdc_questions
from .qa_utils import get_text, train_answer_vocab, write_splits

DATASET_NAME = 'lsmdc_fib'
VOCAB_SIZE = 908
MASK = '[MASK]'
SPLIT_FILES = {
    'train': 'LSMDC16_annos_training_FIB.csv',
    'val': 'LSMDC16_annos_val_FIB.csv',
    'test': 'LSMDC16_annos_test_FIB.csv'
}
FIELDNAMES = ('clip_id', ) + TIME_COLUMNS + ('sentence', 'fill_in', 'blank')
# The release writes the blank as five underscores; any run of three or more
# counts, so that a blank cannot hide as a shorter or longer run.
_BLANK = re.compile(r'_{3,}')


def mask_blank(fill_in: str, path: str, where: str) -> str:
    """Replace the one blank of ``fill_in`` with ``[MASK]`` and collapse
    runs of whitespace (the release pads the blank with spaces)."""
    blanks = len(_BLANK.findall(fill_in))
    if blanks != 1 or MASK in fill_in:
        found = f'{blanks} blanks' if blanks != 1 else f'a literal {MASK}'
        raise ConversionError(
            f"{path}: {where}: field 'fill_in' must contain exactly one "
            f'blank (_____), found {found}: {fill_in!r}')
    return ' '.join(_BLANK.sub(MASK, fill_in).split())


def _read_split(path: str, video_ext: str, flat: bool,
                lowercase_answers: bool) -> List[Dict]:
    records = []
    for row, where, record in read_lsmdc_questions(path, FIELDNAMES,
                                                   video_ext, flat):
        answer = get_text(row, 'blank', path, where)
        records.append(
            dict(
                record,
                question=mask_blank(
                    get_text(row, 'fill_in', path, where), path, where),
                answer=answer.lower() if lowercase_answers else answer))
    return records


def convert(ann_dir: str,
            out_dir: str,
            vocab_size: int = VOCAB_SIZE,
            lowercase_answers: bool = True,
            video_ext: str = '.avi',
            flat: bool = False) -> Dict[str, int]:
    """Convert the three LSMDC fill-in-the-blank files.

    Every record is kept (training questions whose answer is outside the
    vocabulary too; the dataset drops them when it loads the training set).

    Args:
        ann_dir (str): Directory holding the original ``.csv`` files.
        out_dir (str): Where ``{train,val,test}.json`` are written.
        vocab_size (int): Size of the answer vocabulary, the most frequent
            training answers. Defaults to 908.
        lowercase_answers (bool): Lower-case the answers before counting
            them (JSFusion does; the words are counted as one whether or not
            they started the sentence). Defaults to True.
        video_ext (str): Extension of the clip files.
        flat (bool): Clips are ``<clip_id><ext>`` in one directory instead of
            ``<movie>/<clip_id><ext>``.

    Returns:
        dict: ``split -> number of questions``.
    """
    splits = {}
    for split, file_name in SPLIT_FILES.items():
        path = osp.join(ann_dir, file_name)
        splits[split] = (_read_split(path, video_ext, flat,
                                     lowercase_answers), [path])
    vocab = train_answer_vocab(splits['train'][0], vocab_size)
    return write_splits(out_dir, DATASET_NAME, 'fill_in_blank', splits,
                        vocab)
