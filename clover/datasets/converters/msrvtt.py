"""MSR-VTT retrieval (Xu et al., CVPR 2016), 1k-A split, to Clover's schema.

Original files:

- Captions: the MSR-VTT release's ``train_val_videodatainfo.json`` and
  ``test_videodatainfo.json``, or CLIP4Clip's ``MSRVTT_data.json`` that
  merges them (https://github.com/ArrowLuo/CLIP4Clip, ``msrvtt_data.zip``).
  Each is an object with ``sentences``: a list of ``{"caption", "video_id",
  "sen_id"}`` (and ``videos``, unused here).
- The 1k-A split of JSFusion (Yu et al., ECCV 2018) as distributed with
  CLIP4Clip: ``MSRVTT_train.9k.csv`` (column ``video_id``) and
  ``MSRVTT_JSFUSION_test.csv`` (columns ``key, vid_key, video_id,
  sentence``; one sentence per test video).

Output: ``train_9k.json`` (every caption of the 9,000 training videos, in
the caption file's order) and ``test_1k.json`` (the one JSFusion sentence of
each of the 1,000 test videos, in the CSV's order). About 2,000 of the 9k
training videos come from MSR-VTT's official test set, so the captions must
include ``test_videodatainfo.json`` (or ``MSRVTT_data.json``). Videos are
``video<N>.mp4``.
"""
import os.path as osp
from collections import Counter
from typing import Dict, List, Sequence

from .common import (ConversionError, get_field, read_json, read_table,
                     write_annotations)
from .streams import group_captions, log_skips, split_metainfo

SPLIT_FILES = dict(train='train_9k', test='test_1k')


def read_sentences(paths: Sequence[str]) -> List:
    """``(video_id, caption)`` pairs of MSR-VTT caption files, in file order;
    a ``sen_id`` listed again by a later file is read once.

    Raises:
        ConversionError: If a file or sentence lacks a field, or one
            ``sen_id`` has different contents in two files.
    """
    pairs = []
    first_seen = {}
    for path in paths:
        content = read_json(path, 'MSR-VTT caption file')
        sentences = get_field(content, 'sentences', path, 'the top level')
        if not isinstance(sentences, list):
            raise ConversionError(f"{path}: field 'sentences' must be a list")
        for index, sentence in enumerate(sentences):
            where = f'sentences[{index}]'
            pair = tuple(
                get_field(sentence, field, path, where)
                for field in ('video_id', 'caption'))
            if not all(isinstance(value, str) for value in pair):
                raise ConversionError(
                    f"{path}: {where}: fields 'video_id' and 'caption' must "
                    'be strings')
            sen_id = get_field(sentence, 'sen_id', path, where)
            if sen_id in first_seen:
                if first_seen[sen_id] != pair:
                    raise ConversionError(
                        f"{path}: {where}: field 'sen_id' {sen_id!r} was read "
                        'before with another video or caption')
                continue
            first_seen[sen_id] = pair
            pairs.append(pair)
    return pairs


def _read_split_ids(path: str, what: str, columns: Sequence[str]) -> List:
    """Rows of a split CSV; a ``video_id`` listed twice raises."""
    rows = read_table(path, what)
    seen = {}
    for index, row in enumerate(rows):
        for column in columns:
            get_field(row, column, path, f'line {index + 2}')
        video_id = row['video_id'].strip()
        if video_id in seen:
            raise ConversionError(
                f"{path}: lines {seen[video_id]} and {index + 2} have the "
                f"same field 'video_id' {video_id!r}")
        seen[video_id] = index + 2
    return rows


def convert(caption_files: Sequence[str],
            train_csv: str,
            test_csv: str,
            out_dir: str,
            video_ext: str = '.mp4') -> Dict[str, int]:
    """Convert MSR-VTT 1k-A retrieval to ``out_dir/{train_9k,test_1k}.json``.

    Args:
        caption_files (Sequence[str]): ``train_val_videodatainfo.json`` and
            ``test_videodatainfo.json``, or ``MSRVTT_data.json``.
        train_csv (str): ``MSRVTT_train.9k.csv``.
        test_csv (str): ``MSRVTT_JSFUSION_test.csv``.
        out_dir (str): Annotation directory, e.g. ``data/msrvtt/annotations``.
        video_ext (str): Extension of the video files.

    Returns:
        dict[str, int]: Records written per output file stem.

    Raises:
        ConversionError: If a training video has no caption, a test sentence
            is blank, or a file breaks its format (the message names the
            file, entry and field).
    """
    captions, num_blank = group_captions(read_sentences(caption_files))
    train_records = []
    for index, row in enumerate(
            _read_split_ids(train_csv, 'MSR-VTT 9k train list',
                            ('video_id', ))):
        video_id = row['video_id'].strip()
        if not captions.get(video_id):
            raise ConversionError(
                f"{train_csv}: line {index + 2}: field 'video_id' "
                f'{video_id!r} has no caption in '
                f'{", ".join(caption_files)} (the 9k split needs '
                'test_videodatainfo.json too)')
        train_records.append(
            dict(
                video_id=video_id,
                video=video_id + video_ext,
                captions=captions[video_id]))

    test_records = []
    for index, row in enumerate(
            _read_split_ids(test_csv, 'MSR-VTT JSFusion test list',
                            ('video_id', 'sentence'))):
        sentence = row['sentence'].strip()
        if not sentence:
            raise ConversionError(
                f"{test_csv}: line {index + 2}: field 'sentence' is blank")
        video_id = row['video_id'].strip()
        test_records.append(
            dict(
                video_id=video_id,
                video=video_id + video_ext,
                captions=[sentence]))

    train_skips = Counter({'blank captions': num_blank} if num_blank else {})
    log_skips(', '.join(caption_files), train_skips)
    outputs = dict(
        train=(train_records, [*caption_files, train_csv], train_skips),
        test=(test_records, [test_csv], Counter()))
    for split, (records, sources, skipped) in outputs.items():
        write_annotations(
            osp.join(out_dir, f'{SPLIT_FILES[split]}.json'),
            split_metainfo('msrvtt', split, sources, skipped), records,
            'retrieval')
    return {
        SPLIT_FILES[split]: len(records)
        for split, (records, _, _) in outputs.items()
    }
