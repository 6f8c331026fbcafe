"""MSRVTT multiple choice (Yu et al., JSFusion, ECCV 2018) to Clover's
``multiple_choice`` schema. Test only (2,990 questions); training uses the
MSR-VTT retrieval training set.

Two public forms of the same test set are read:

- JSFusion's ``MSR_MC_test.csv`` (https://github.com/yj-yu/lsmdc, data
  frames on Google Drive): tab-separated with a header, of which the columns
  ``key`` (question id), ``vid_key`` (``msr<N>``, MSR-VTT's ``video<N>``),
  ``a1`` ... ``a5`` (captions) and ``answer`` (0-based index) are used;
- the JSON-lines form ``msrvtt_mc_test.jsonl`` shipped by later code bases
  (ClipBERT lineage): one ``{"qid", "clip_name": "video<N>", "options": [5
  captions], "answer": 0-based index}`` per line.

The form is chosen by the file extension (``.jsonl`` or ``.csv``).
"""
import os.path as osp
import re
from typing import Dict, List

from .common import ConversionError, get_field, read_jsonl
from .qa_utils import (check_unique, get_index, get_text, progress, read_tsv,
                       write_splits)

DATASET_NAME = 'msrvtt_mc'
NUM_CANDIDATES = 5
_VIDEO_PATTERN = re.compile(r'(?:msr|video)(\d+)')


def _video_number(name: str, path: str, where: str, field: str) -> int:
    match = _VIDEO_PATTERN.fullmatch(name)
    if match is None:
        raise ConversionError(f"{path}: {where}: field '{field}' must be "
                              f"'msr<N>' or 'video<N>', got {name!r}")
    return int(match.group(1))


def _read_jsfusion(path: str) -> List[Dict]:
    rows = read_tsv(path, 'JSFusion MSR_MC_test.csv')
    entries = []
    for line_number, row in rows:
        where = f'line {line_number}'
        entries.append(
            dict(
                where=where,
                question_id=get_text(row, 'key', path, where),
                number=_video_number(
                    get_text(row, 'vid_key', path, where), path, where,
                    'vid_key'),
                candidates=[
                    get_text(row, f'a{i}', path, where)
                    for i in range(1, NUM_CANDIDATES + 1)
                ],
                answer_index=get_index(row, 'answer', path, where,
                                       NUM_CANDIDATES)))
    return entries


def _read_clipbert(path: str) -> List[Dict]:
    entries = []
    for index, entry in enumerate(
            read_jsonl(path, 'MSRVTT-MC msrvtt_mc_test.jsonl')):
        where = f'entry {index}'
        options = get_field(entry, 'options', path, where)
        if not isinstance(options, list) or len(options) != NUM_CANDIDATES \
                or not all(isinstance(option, str) and option.strip()
                           for option in options):
            raise ConversionError(
                f"{path}: {where}: field 'options' must be a list of "
                f'{NUM_CANDIDATES} non-empty captions, got {options!r}')
        entries.append(
            dict(
                where=where,
                question_id=str(get_field(entry, 'qid', path, where)),
                number=_video_number(
                    get_text(entry, 'clip_name', path, where), path, where,
                    'clip_name'),
                candidates=[option.strip() for option in options],
                answer_index=get_index(entry, 'answer', path, where,
                                       NUM_CANDIDATES)))
    return entries


def convert(mc_file: str, out_dir: str,
            video_ext: str = '.mp4') -> Dict[str, int]:
    """Convert the MSRVTT multiple-choice test set to ``out_dir/test.json``.

    Args:
        mc_file (str): ``MSR_MC_test.csv`` or ``msrvtt_mc_test.jsonl``.
        out_dir (str): Output directory.
        video_ext (str): Extension of MSR-VTT's video files.

    Returns:
        dict: ``{'test': number of questions}``.
    """
    if mc_file.endswith('.jsonl'):
        entries = _read_clipbert(mc_file)
    elif mc_file.endswith('.csv'):
        entries = _read_jsfusion(mc_file)
    else:
        raise ValueError('mc_file must be JSFusion\'s MSR_MC_test.csv or '
                         f'msrvtt_mc_test.jsonl, got {mc_file!r}')
    records = [
        dict(
            question_id=entry['question_id'],
            video_id=f'video{entry["number"]}',
            video=f'video{entry["number"]}{video_ext}',
            question='',
            candidates=entry['candidates'],
            answer_index=entry['answer_index'])
        for entry in progress(entries, osp.basename(mc_file))
    ]
    check_unique(records, mc_file,
                 'qid' if mc_file.endswith('.jsonl') else 'key')
    return write_splits(out_dir, DATASET_NAME, 'multiple_choice',
                        {'test': (records, [mc_file])})
