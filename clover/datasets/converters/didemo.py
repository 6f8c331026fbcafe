"""DiDeMo paragraph retrieval (Hendricks et al., ICCV 2017) to Clover's
schema.

Original files (https://github.com/LisaAnne/LocalizingMoments, ``data/``):
``train_data.json``, ``val_data.json`` and ``test_data.json``, each a list of
moment annotations ``{"annotation_id", "description", "video", "times",
"dl_link", "num_segments"}``, several per video. Paragraph retrieval (as in
CLIP4Clip and ClipBERT) joins all descriptions of a video, in file order and
without de-duplication, with a space into ONE caption; the moment times are
not used.

The ``video`` field is the Flickr file name (e.g. ``<user>@N00_<id>_<secret>
.mov``, with various extensions). Downloaders store the videos differently:
``video_pattern`` maps the name to the file, with the fields ``video`` (the
name) and ``stem`` (the name without extension): ``'{video}'`` for the
original files, ``'{video}.mp4'`` for the repository's AWS download script,
``'{stem}.mp4'`` for videos transcoded to mp4.
"""
import os.path as osp
from collections import Counter
from typing import Dict, Optional

from .common import ConversionError, get_field, read_json, write_annotations
from .streams import group_captions, log_skips, split_metainfo

SPLITS = ('train', 'val', 'test')


def read_moments(path: str):
    """``(video, description)`` pairs of a DiDeMo file, in file order.

    Raises:
        ConversionError: If the file is not a list, or an entry lacks a
            string ``video`` or ``description``.
    """
    entries = read_json(path, 'DiDeMo annotation file')
    if not isinstance(entries, list):
        raise ConversionError(
            f'{path}: expected a list of moment annotations, got '
            f'{type(entries).__name__}')
    pairs = []
    for index, entry in enumerate(entries):
        where = f'entry {index}'
        for field in ('video', 'description'):
            if not isinstance(get_field(entry, field, path, where), str):
                raise ConversionError(
                    f"{path}: {where}: field '{field}' must be a string")
        if not entry['video'].strip():
            raise ConversionError(f"{path}: {where}: field 'video' is blank")
        pairs.append((entry['video'], entry['description']))
    return pairs


def convert_split(json_path: str,
                  out_path: str,
                  split: str,
                  video_pattern: str = '{video}',
                  video_root: Optional[str] = None) -> int:
    """Convert one DiDeMo file; blank descriptions, videos left without
    any, and (with ``video_root``) videos not downloaded are left out and
    counted.

    Returns:
        int: Records written.
    """
    paragraphs, num_blank = group_captions(read_moments(json_path))
    skipped = Counter({'blank descriptions': num_blank} if num_blank else {})
    records = []
    for name, descriptions in paragraphs.items():
        if not descriptions:
            skipped['videos with only blank descriptions'] += 1
            continue
        video = video_pattern.format(video=name, stem=osp.splitext(name)[0])
        if video_root is not None and not osp.isfile(
                osp.join(video_root, video)):
            skipped['videos not downloaded'] += 1
            continue
        records.append(
            dict(
                video_id=name, video=video,
                captions=[' '.join(descriptions)]))
    log_skips(json_path, skipped)
    write_annotations(out_path,
                      split_metainfo('didemo', split, [json_path], skipped),
                      records, 'retrieval')
    return len(records)


def convert(out_dir: str,
            train_json: Optional[str] = None,
            val_json: Optional[str] = None,
            test_json: Optional[str] = None,
            video_pattern: str = '{video}',
            video_root: Optional[str] = None) -> Dict[str, int]:
    """Convert DiDeMo to ``out_dir/{train,val,test}.json``.

    Args:
        out_dir (str): Annotation directory, e.g. ``data/didemo/annotations``.
        train_json (str, optional): ``train_data.json``.
        val_json (str, optional): ``val_data.json``.
        test_json (str, optional): ``test_data.json``.
        video_pattern (str): Video file name from the ``video`` field
            (module docstring).
        video_root (str, optional): When given, videos missing there are
            left out (counted and logged).

    Returns:
        dict[str, int]: Records written per split.
    """
    sources = dict(zip(SPLITS, (train_json, val_json, test_json)))
    if not any(sources.values()):
        raise ValueError('Give at least one of train_json, val_json and '
                         'test_json')
    return {
        split: convert_split(path, osp.join(out_dir, f'{split}.json'), split,
                             video_pattern, video_root)
        for split, path in sources.items() if path
    }
