"""LSMDC retrieval (Rohrbach et al., IJCV 2017; LSMDC 2016 challenge) to
Clover's schema.

Original files (from the LSMDC organisers after the MPII-MD access request;
the split used by CLIP4Clip, https://github.com/ArrowLuo/CLIP4Clip, and
Collaborative Experts): ``LSMDC16_annos_training.csv``,
``LSMDC16_annos_val.csv`` and the 1,000-clip test set
``LSMDC16_challenge_1000_publictect.csv``. Despite the extension they are
tab-separated, one sentence per line, with six fields: clip id, start
(aligned), end (aligned), start (extracted), end (extracted), sentence.

A clip id may have several lines (several sentences); the test file has one
per clip. Sentences are not CSV-quoted (they may contain quote characters),
so lines are split on tabs only. Sentences are kept as written, including
the ``SOMEONE`` that replaces character names (CLIP4Clip does not rewrite
them either).

Clip ids are ``<movie>_<start>-<end>``, e.g.
``0001_American_Beauty_00.00.51.926-00.00.54.129``; the clips are stored as
``<movie>/<clip id>.avi``.
"""
import os.path as osp
from collections import Counter
from typing import Dict, Optional

from .common import ConversionError, write_annotations
from .streams import group_captions, iter_tsv_lines, log_skips, split_metainfo

SPLITS = ('train', 'val', 'test')
NUM_FIELDS = 6


def read_sentences(path: str):
    """``(clip id, sentence)`` pairs of an LSMDC file, in file order. A first
    line whose ``start aligned`` field has no digit is a header and skipped.

    Raises:
        ConversionError: If a line has another number of fields or a clip id
            without a ``_`` before its time range.
    """
    pairs = []
    for line_number, fields in iter_tsv_lines(path, 'LSMDC annotation file',
                                              NUM_FIELDS):
        clip_id, start_aligned, sentence = fields[0], fields[1], fields[-1]
        if line_number == 1 and not any(char.isdigit()
                                        for char in start_aligned):
            continue
        if '_' not in clip_id.strip('_'):
            raise ConversionError(
                f'{path}: line {line_number}: field \'clip id\' {clip_id!r} '
                "is not '<movie>_<start>-<end>'")
        pairs.append((clip_id, sentence))
    return pairs


def clip_path(clip_id: str, video_ext: str = '.avi') -> str:
    """``<movie>/<clip id><video_ext>``: the movie is the clip id up to the
    last ``_`` (the time range follows it)."""
    return f'{clip_id.rsplit("_", 1)[0]}/{clip_id}{video_ext}'


def convert_split(csv_path: str,
                  out_path: str,
                  split: str,
                  video_ext: str = '.avi') -> int:
    """Convert one LSMDC file; blank sentences and clips left without any
    are left out and counted.

    Returns:
        int: Records written.
    """
    captions, num_blank = group_captions(read_sentences(csv_path))
    skipped = Counter({'blank sentences': num_blank} if num_blank else {})
    records = []
    for clip_id, sentences in captions.items():
        if not sentences:
            skipped['clips with only blank sentences'] += 1
            continue
        records.append(
            dict(
                video_id=clip_id,
                video=clip_path(clip_id, video_ext),
                captions=sentences))
    log_skips(csv_path, skipped)
    write_annotations(out_path,
                      split_metainfo('lsmdc', split, [csv_path], skipped),
                      records, 'retrieval')
    return len(records)


def convert(out_dir: str,
            train_csv: Optional[str] = None,
            val_csv: Optional[str] = None,
            test_csv: Optional[str] = None,
            video_ext: str = '.avi') -> Dict[str, int]:
    """Convert LSMDC retrieval to ``out_dir/{train,val,test}.json``.

    Args:
        out_dir (str): Annotation directory, e.g. ``data/lsmdc/annotations``.
        train_csv (str, optional): ``LSMDC16_annos_training.csv``.
        val_csv (str, optional): ``LSMDC16_annos_val.csv``.
        test_csv (str, optional): ``LSMDC16_challenge_1000_publictect.csv``.
        video_ext (str): Extension of the clip files (``.avi`` as
            distributed; ``.mp4`` after transcoding).

    Returns:
        dict[str, int]: Records written per split.
    """
    sources = dict(zip(SPLITS, (train_csv, val_csv, test_csv)))
    if not any(sources.values()):
        raise ValueError('Give at least one of train_csv, val_csv and '
                         'test_csv')
    return {
        split: convert_split(path, osp.join(out_dir, f'{split}.json'), split,
                             video_ext)
        for split, path in sources.items() if path
    }
