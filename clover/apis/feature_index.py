"""Sharded video embeddings on disk (``tools/misc/extract_features.py``)
and search over them: an exact, streamed matrix product by default, a FAISS
index optionally.

Layout of an output folder::

    manifest.json          # config, checkpoint, model key, shard size,
                           # number of videos and shards, gallery hash
    shard_00000.npy        # float32 (n, D) L2-normalised embeddings
    shard_00000.json       # {"ids": [n video paths], "skipped": [...],
                           #  "clip_shape": [...]}; written last, so its
                           #  presence marks a finished shard
"""
import hashlib
import json
import os
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

MANIFEST = 'manifest.json'
FAISS_FILE = 'faiss.index'


def shard_stem(out_dir: str, index: int) -> str:
    return osp.join(out_dir, f'shard_{index:05d}')


def gallery_hash(paths: Sequence[str]) -> str:
    return hashlib.sha1('\n'.join(paths).encode()).hexdigest()


def _write_json(path: str, content: dict) -> None:
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w') as file:
        json.dump(content, file, indent=1)
    os.replace(tmp, path)


def check_or_write_manifest(out_dir: str, manifest: dict) -> None:
    """Start an extraction in ``out_dir``, or resume one: an existing
    manifest must describe the same gallery, model and sharding."""
    os.makedirs(out_dir, exist_ok=True)
    path = osp.join(out_dir, MANIFEST)
    if osp.isfile(path):
        with open(path) as file:
            old = json.load(file)
        changed = [
            key for key in ('gallery_sha1', 'model_key', 'shard_size',
                            'num_videos') if old.get(key) != manifest[key]
        ]
        if changed:
            raise ValueError(
                f'{out_dir} holds features of another extraction (its '
                f'{MANIFEST} differs in {changed}); use another --out or '
                'delete it')
        return
    _write_json(path, manifest)


def is_finished(out_dir: str, index: int) -> bool:
    stem = shard_stem(out_dir, index)
    return osp.isfile(stem + '.json') and osp.isfile(stem + '.npy')


def write_shard(out_dir: str, index: int, ids: List[str],
                embeddings: np.ndarray, skipped: List[str],
                clip_shape: Optional[List[int]]) -> None:
    """Write one shard: the array first, the id file (the completion mark)
    last, both atomically."""
    stem = shard_stem(out_dir, index)
    tmp = f'{stem}.tmp{os.getpid()}.npy'
    np.save(tmp, np.asarray(embeddings, dtype=np.float32))
    os.replace(tmp, stem + '.npy')
    _write_json(stem + '.json',
                dict(ids=ids, skipped=skipped, clip_shape=clip_shape))
    # An index built before this shard existed would miss it.
    if osp.isfile(osp.join(out_dir, FAISS_FILE)):
        os.remove(osp.join(out_dir, FAISS_FILE))


def read_manifest(out_dir: str) -> dict:
    path = osp.join(out_dir, MANIFEST)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found: not an output folder of '
            'tools/misc/extract_features.py')
    with open(path) as file:
        return json.load(file)


def iter_shards(out_dir: str) -> Iterator[Tuple[List[str], np.ndarray, Dict]]:
    """``(ids, embeddings (n, D), shard info)`` of every shard in order.

    Raises:
        FileNotFoundError: If a shard of the manifest is unfinished (the
            message says to resume the extraction).
    """
    manifest = read_manifest(out_dir)
    missing = [
        i for i in range(manifest['num_shards']) if not is_finished(out_dir, i)
    ]
    if missing:
        raise FileNotFoundError(
            f'{out_dir}: shards {missing[:10]} of {manifest["num_shards"]} '
            'are not finished; run tools/misc/extract_features.py again '
            'with the same arguments to complete them')
    for index in range(manifest['num_shards']):
        stem = shard_stem(out_dir, index)
        with open(stem + '.json') as file:
            info = json.load(file)
        embeddings = np.load(stem + '.npy', mmap_mode='r')
        if len(embeddings) != len(info['ids']):
            raise ValueError(f'{stem}: {len(embeddings)} embeddings for '
                             f'{len(info["ids"])} ids')
        yield info['ids'], embeddings, info


def load_features(out_dir: str) -> Tuple[List[str], np.ndarray]:
    """All ids and embeddings ``(N, D)`` of an output folder."""
    ids, arrays = [], []
    for shard_ids, embeddings, _ in iter_shards(out_dir):
        ids.extend(shard_ids)
        arrays.append(np.asarray(embeddings))
    return ids, np.concatenate(arrays)


def clip_shape_of(out_dir: str) -> List[int]:
    """The clip shape the features were computed from (for the blank clip
    that text queries are packed with)."""
    for _, _, info in iter_shards(out_dir):
        if info.get('clip_shape'):
            return info['clip_shape']
    raise ValueError(f'{out_dir}: no shard holds a decoded video')


def exact_search(out_dir: str, queries: np.ndarray,
                 topk: int) -> Tuple[np.ndarray, List[List[str]]]:
    """Exact top-k by inner product, one shard in memory at a time.

    Args:
        out_dir (str): Output folder of the extraction.
        queries (np.ndarray): ``(Q, D)`` query embeddings.
        topk (int): Hits per query.

    Returns:
        tuple: ``(Q, k)`` scores (descending; k = min(topk, N)) and the ids
        of the hits. Equal scores keep gallery order.
    """
    queries = np.asarray(queries, dtype=np.float32)
    best_scores = np.empty((len(queries), 0), np.float32)
    best_ids = np.empty((len(queries), 0), np.int64)
    all_ids: List[str] = []
    for ids, embeddings, _ in iter_shards(out_dir):
        scores = queries @ np.asarray(embeddings).T
        offsets = np.arange(len(all_ids), len(all_ids) + len(ids))
        all_ids.extend(ids)
        merged_scores = np.concatenate([best_scores, scores], axis=1)
        merged_ids = np.concatenate(
            [best_ids, np.broadcast_to(offsets, scores.shape)], axis=1)
        # Stable sort on -score: ties keep the lower (earlier) position.
        order = np.argsort(-merged_scores, axis=1, kind='stable')[:, :topk]
        best_scores = np.take_along_axis(merged_scores, order, axis=1)
        best_ids = np.take_along_axis(merged_ids, order, axis=1)
    return best_scores, [[all_ids[i] for i in row] for row in best_ids]


def build_faiss_index(out_dir: str, factory: str = 'Flat'):
    """A FAISS inner-product index over the shards (added one at a time),
    saved to ``faiss.index`` in ``out_dir``.

    Args:
        factory (str): ``faiss.index_factory`` description, e.g. ``'Flat'``
            (exact) or ``'IVF1024,PQ32'`` (compressed, for galleries whose
            matrix does not fit in memory; trained on the first shard).

    Returns:
        faiss.Index: The index.
    """
    try:
        import faiss
    except ImportError as err:
        raise ImportError('the FAISS index needs faiss-cpu: pip install '
                          'faiss-cpu (requirements/optional.txt)') from err
    index = None
    for _, embeddings, _ in iter_shards(out_dir):
        embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        if index is None:
            index = faiss.index_factory(embeddings.shape[1], factory,
                                        faiss.METRIC_INNER_PRODUCT)
            if not index.is_trained:
                index.train(embeddings)
        index.add(embeddings)
    faiss.write_index(index, osp.join(out_dir, FAISS_FILE))
    return index


def faiss_search(out_dir: str, queries: np.ndarray, topk: int,
                 factory: str = 'Flat') -> Tuple[np.ndarray, List[List[str]]]:
    """Top-k through a FAISS index (read from ``faiss.index`` when it
    exists, else built); same return as :func:`exact_search`."""
    import faiss
    path = osp.join(out_dir, FAISS_FILE)
    index = faiss.read_index(path) if osp.isfile(path) else \
        build_faiss_index(out_dir, factory)
    ids = [i for shard_ids, _, _ in iter_shards(out_dir) for i in shard_ids]
    scores, rows = index.search(
        np.ascontiguousarray(queries, dtype=np.float32), min(topk, len(ids)))
    return scores, [[ids[i] for i in row if i >= 0] for row in rows]
