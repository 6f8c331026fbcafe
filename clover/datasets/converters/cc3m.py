"""Conceptual Captions 3M (Sharma et al., ACL 2018) to Clover's schema.

Original files (https://ai.google.com/research/ConceptualCaptions/download):
``Train_GCC-training.tsv`` and ``Validation_GCC-1.1.0-Validation.tsv``,
headerless tab-separated ``caption<TAB>url`` lines. Google ships no images,
so where an image lies depends on the downloader:

- ``'img2dataset'`` (https://github.com/rom1504/img2dataset with
  ``--output_format files``): shard folders ``00000/000000000.jpg``, each
  image with a ``.json`` sidecar holding its ``url``, ``caption``, ``key``
  and ``status``. Sidecars are only written for downloaded images, in the
  order of the input rows, so they are matched to the TSV rows by URL in one
  streaming pass (a TSV given to img2dataset may start with the header line
  ``caption<TAB>url`` its CC3M example adds).
- ``'pattern'``: one file per row named by ``image_pattern``, a format
  string with the fields ``index`` (0-based row number) and ``crc32`` (the
  unsigned CRC-32 of the URL, the file name of the ViLBERT / Frozen-in-Time
  download script), e.g. ``'{index}.jpg'``, ``'{index:08d}.jpg'`` or
  ``'{crc32}'``.

Rows without a downloaded image, and rows with a blank caption, are left
out and counted. The record id is the row number, the image path is
relative to ``image_root``.
"""
import json
import os
import os.path as osp
import zlib
from collections import Counter
from typing import Dict, Iterator, Optional, Tuple

from .common import ConversionError, get_field, write_annotations
from .streams import iter_tsv_lines, log_skips, split_metainfo

IMAGE_LAYOUTS = ('img2dataset', 'pattern')
IMAGE_EXTENSIONS = ('.jpg', '.png', '.webp')
TSV_HEADER = ('caption', 'url')


def iter_img2dataset_images(image_dir: str) -> Iterator[Tuple[str, str]]:
    """The downloaded images of an img2dataset ``files`` output, in key
    order.

    Yields:
        tuple[str, str | None, str]: The image's URL, its caption (None when
        the sidecar has none) and its path relative to ``image_dir``.

    Raises:
        ConversionError: If a sidecar is not JSON or has no ``url``.
    """
    shards = sorted(name for name in os.listdir(image_dir)
                    if osp.isdir(osp.join(image_dir, name)))
    for shard in shards:
        for name in sorted(os.listdir(osp.join(image_dir, shard))):
            stem, ext = osp.splitext(name)
            if ext != '.json':
                continue
            sidecar = osp.join(image_dir, shard, name)
            with open(sidecar, encoding='utf-8') as file:
                try:
                    meta = json.load(file)
                except json.JSONDecodeError as error:
                    raise ConversionError(
                        f'{sidecar}: not valid JSON ({error})') from None
            url = get_field(meta, 'url', sidecar, 'the sidecar')
            if meta.get('status', 'success') != 'success':
                continue
            caption = meta.get('caption')
            for image_ext in IMAGE_EXTENSIONS:
                if osp.isfile(osp.join(image_dir, shard, stem + image_ext)):
                    yield url, caption, f'{shard}/{stem}{image_ext}'
                    break


def _is_row_of(image: Optional[Tuple], caption: str, url: str) -> bool:
    """Whether the next img2dataset ``image`` was downloaded from this row
    (same URL, and same caption when the sidecar has one, since a URL may
    appear in several rows)."""
    if image is None or image[0] != url:
        return False
    return image[1] is None or image[1].strip() == caption.strip()


def _match_img2dataset(tsv_path: str, image_dir: str, skipped: Counter):
    """Pair each TSV row with its img2dataset image; yield
    ``(index, caption, relative image path)``."""
    images = iter_img2dataset_images(image_dir)
    pending = next(images, None)
    for index, (_, (caption, url)) in enumerate(
            iter_tsv_lines(tsv_path, 'CC3M TSV', 2, header=TSV_HEADER)):
        if not _is_row_of(pending, caption, url):
            skipped['not downloaded'] += 1
            continue
        yield index, caption, pending[2]
        pending = next(images, None)
    if pending is not None:
        raise ConversionError(
            f"{image_dir}: image {pending[2]!r} has sidecar fields 'url' "
            f'({pending[0]!r}) and \'caption\' that match no remaining row of '
            f'{tsv_path}; were the images downloaded from this TSV file?')


def _match_pattern(tsv_path: str, image_dir: str, image_pattern: str,
                   skipped: Counter):
    """Yield ``(index, caption, relative image path)`` for each row whose
    ``image_pattern`` file exists."""
    for index, (_, (caption, url)) in enumerate(
            iter_tsv_lines(tsv_path, 'CC3M TSV', 2, header=TSV_HEADER)):
        crc32 = zlib.crc32(url.encode('utf-8')) & 0xffffffff
        image = image_pattern.format(index=index, crc32=crc32)
        if osp.isfile(osp.join(image_dir, image)):
            yield index, caption, image
        else:
            skipped['not downloaded'] += 1


def convert_split(tsv_path: str,
                  out_path: str,
                  split: str,
                  image_root: str,
                  image_subdir: str,
                  images_from: str = 'img2dataset',
                  image_pattern: str = '{index}.jpg') -> int:
    """Convert one CC3M TSV file whose images are in
    ``image_root/image_subdir``.

    Returns:
        int: Records written.
    """
    image_dir = osp.join(image_root, image_subdir)
    if not osp.isdir(image_dir):
        raise FileNotFoundError(
            f'CC3M {split} image directory not found: {image_dir!r}')
    skipped = Counter()
    if images_from == 'img2dataset':
        rows = _match_img2dataset(tsv_path, image_dir, skipped)
    else:
        rows = _match_pattern(tsv_path, image_dir, image_pattern, skipped)
    records = []
    for index, caption, image in rows:
        caption = caption.strip()
        if not caption:
            skipped['with a blank caption'] += 1
            continue
        records.append(
            dict(
                video_id=str(index),
                video=osp.join(image_subdir, image).replace(os.sep, '/'),
                captions=[caption]))
    log_skips(tsv_path, skipped)
    write_annotations(out_path,
                      split_metainfo('cc3m', split, [tsv_path], skipped),
                      records, 'image_text')
    return len(records)


def convert(out_dir: str,
            image_root: str,
            train_tsv: Optional[str] = None,
            val_tsv: Optional[str] = None,
            images_from: str = 'img2dataset',
            image_pattern: str = '{index}.jpg',
            train_subdir: str = 'train',
            val_subdir: str = 'val') -> Dict[str, int]:
    """Convert CC3M to ``out_dir/{train,val}.json``.

    Args:
        out_dir (str): Annotation directory, e.g. ``data/cc3m/annotations``.
        image_root (str): The image directory the records' paths are
            relative to (``data_prefix['video']``), e.g. ``data/cc3m/images``.
        train_tsv (str, optional): ``Train_GCC-training.tsv``.
        val_tsv (str, optional): ``Validation_GCC-1.1.0-Validation.tsv``.
        images_from (str): ``'img2dataset'`` or ``'pattern'`` (module
            docstring).
        image_pattern (str): File name per row for ``'pattern'``.
        train_subdir (str): Folder of the training images in ``image_root``.
        val_subdir (str): Folder of the validation images in ``image_root``.

    Returns:
        dict[str, int]: Records written per split.
    """
    if images_from not in IMAGE_LAYOUTS:
        raise ValueError(
            f'images_from must be one of {IMAGE_LAYOUTS}, got {images_from!r}')
    sources = dict(
        train=(train_tsv, train_subdir), val=(val_tsv, val_subdir))
    if not (train_tsv or val_tsv):
        raise ValueError('Give at least one of train_tsv and val_tsv')
    return {
        split: convert_split(path, osp.join(out_dir, f'{split}.json'), split,
                             image_root, subdir, images_from, image_pattern)
        for split, (path, subdir) in sources.items() if path
    }
