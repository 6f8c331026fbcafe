"""WebVid-2M (Bain et al., Frozen in Time, ICCV 2021) to Clover's schema.

Original files (https://github.com/m-bain/webvid): ``results_2M_train.csv``
and ``results_2M_val.csv``, CSV with a header naming at least ``videoid``,
``page_dir`` and ``name`` (the caption); the other columns (``contentUrl``,
``duration``, ...) are ignored. The dataset's download script saves each
video as ``<page_dir>/<videoid>.mp4``, the layout used here.
"""
import os.path as osp
from collections import Counter
from typing import Dict, Optional

from .common import write_annotations
from .streams import iter_csv_rows, log_skips, split_metainfo

COLUMNS = ('videoid', 'page_dir', 'name')


def convert_split(csv_path: str,
                  out_path: str,
                  split: str,
                  video_root: Optional[str] = None,
                  video_ext: str = '.mp4') -> int:
    """Convert one WebVid CSV file.

    Rows with a blank ``videoid``, ``page_dir`` or caption, rows repeating
    an earlier ``videoid``, and (with ``video_root``) rows whose video was
    not downloaded are left out; the counts by reason are logged and stored
    in ``metainfo['skipped']``.

    Args:
        csv_path (str): ``results_2M_train.csv`` or ``results_2M_val.csv``.
        out_path (str): Output JSON file.
        split (str): Split name written to the metainfo.
        video_root (str, optional): Directory holding
            ``<page_dir>/<videoid><video_ext>``; when given, rows whose file
            is missing there are left out.
        video_ext (str): Extension of the downloaded videos.

    Returns:
        int: Records written.
    """
    records = []
    seen_ids = set()
    skipped = Counter()
    for _, row in iter_csv_rows(csv_path, 'WebVid CSV', COLUMNS):
        video_id, page_dir = row['videoid'].strip(), row['page_dir'].strip()
        caption = row['name'].strip()
        if not (video_id and page_dir):
            skipped['without videoid or page_dir'] += 1
            continue
        if not caption:
            skipped['with a blank caption'] += 1
            continue
        if video_id in seen_ids:
            skipped['repeating a videoid'] += 1
            continue
        video = f'{page_dir}/{video_id}{video_ext}'
        if video_root is not None and not osp.isfile(
                osp.join(video_root, video)):
            skipped['not downloaded'] += 1
            continue
        seen_ids.add(video_id)
        records.append(
            dict(video_id=video_id, video=video, captions=[caption]))
    log_skips(csv_path, skipped)
    write_annotations(out_path,
                      split_metainfo('webvid', split, [csv_path], skipped),
                      records, 'retrieval')
    return len(records)


def convert(out_dir: str,
            train_csv: Optional[str] = None,
            val_csv: Optional[str] = None,
            video_root: Optional[str] = None,
            video_ext: str = '.mp4') -> Dict[str, int]:
    """Convert WebVid-2M to ``out_dir/{train,val}.json``.

    Args:
        out_dir (str): Annotation directory, e.g. ``data/webvid/annotations``.
        train_csv (str, optional): ``results_2M_train.csv``.
        val_csv (str, optional): ``results_2M_val.csv``.
        video_root (str, optional): Keep only rows whose video exists under
            it (see :func:`convert_split`).
        video_ext (str): Extension of the downloaded videos.

    Returns:
        dict[str, int]: Records written per split.
    """
    sources = dict(train=train_csv, val=val_csv)
    if not any(sources.values()):
        raise ValueError('Give at least one of train_csv and val_csv')
    return {
        split: convert_split(path, osp.join(out_dir, f'{split}.json'), split,
                             video_root, video_ext)
        for split, path in sources.items() if path
    }
