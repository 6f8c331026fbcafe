"""Which videos a gallery holds: a folder, a list of paths or an annotation
file, and the per-video feature cache."""
import hashlib
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.mov', '.webm', '.m4v', '.mpg',
                    '.mpeg', '.gif')

GallerySource = Union[str, Sequence[str]]


def list_video_dir(video_dir: str) -> List[str]:
    """Video files under ``video_dir`` (recursive), sorted by path.

    Raises:
        FileNotFoundError: If ``video_dir`` is not a directory.
        ValueError: If it holds no file with a video extension.
    """
    if not osp.isdir(video_dir):
        raise FileNotFoundError(f'video folder not found: {video_dir}')
    paths = []
    for root, dirs, files in os.walk(video_dir):
        dirs.sort()
        paths.extend(
            osp.join(root, name) for name in sorted(files)
            if name.lower().endswith(VIDEO_EXTENSIONS))
    if not paths:
        raise ValueError(f'no video file ({", ".join(VIDEO_EXTENSIONS)}) '
                         f'under {video_dir}')
    return paths


def read_annotation_gallery(ann_file: str, video_dir: str
                            ) -> Tuple[List[str], List[List[str]]]:
    """The distinct videos of a Clover annotation file, in file order, and
    the captions of each (``[]`` for question files).

    Args:
        ann_file (str): ``{"metainfo": ..., "data_list": [...]}`` whose
            records name their file in ``video`` (relative to
            ``video_dir``).
        video_dir (str): Folder the ``video`` fields are relative to.

    Returns:
        tuple[list[str], list[list[str]]]: Paths and captions per path.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'annotation file not found: {ann_file}')
    with open(ann_file) as file:
        records = json.load(file)
    records = records.get('data_list') if isinstance(records, dict) else None
    if not isinstance(records, list):
        raise ValueError(f"{ann_file}: no 'data_list' list of records")
    captions_of: Dict[str, List[str]] = {}
    for index, record in enumerate(records):
        video = record.get('video') if isinstance(record, dict) else None
        if not isinstance(video, str) or not video:
            raise ValueError(
                f"{ann_file}: record {index} has no 'video' field (str)")
        path = osp.join(video_dir, video)
        captions_of.setdefault(path, []).extend(record.get('captions', []))
    if not captions_of:
        raise ValueError(f'{ann_file}: the data_list is empty')
    return list(captions_of), list(captions_of.values())


def resolve_gallery(source: GallerySource,
                    video_dir: Optional[str] = None) -> List[str]:
    """The video paths of a folder, a ``.json`` annotation file (with
    ``video_dir``) or a list of paths (each must exist)."""
    if isinstance(source, str):
        if osp.isdir(source):
            return list_video_dir(source)
        if source.endswith('.json'):
            if video_dir is None:
                raise ValueError(
                    f'{source}: an annotation file needs video_dir, the '
                    'folder its "video" fields are relative to')
            return read_annotation_gallery(source, video_dir)[0]
        source = [source]
    paths = [str(path) for path in source]
    if not paths:
        raise ValueError('the gallery is an empty list of videos')
    for path in paths:
        if not osp.isfile(path):
            raise FileNotFoundError(f'video not found: {path}')
    return paths


def file_key(path: str) -> str:
    """Identity of a file's content as far as the cache is concerned: its
    absolute path, size and modification time."""
    stat = os.stat(path)
    return f'{osp.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}'


def model_key(checkpoint: Optional[str], pipeline: list) -> str:
    """Short hash of the checkpoint file (path, size, mtime) and of the
    video pipeline config: features of another model or other frames never
    match."""
    source = file_key(checkpoint) if checkpoint else 'random-init'
    text = source + json.dumps(pipeline, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


class FeatureCache:
    """Video embeddings of one model, stored in one file keyed by
    :func:`file_key` (a changed or moved video is embedded again).

    Args:
        path (str, optional): The cache file; None keeps it in memory only.
    """

    def __init__(self, path: Optional[str]) -> None:
        self.path = path
        self.features: Dict[str, torch.Tensor] = {}
        self.clip_shape: Optional[List[int]] = None
        if path is not None and osp.isfile(path):
            state = torch.load(path, map_location='cpu', weights_only=True)
            self.features = state['features']
            self.clip_shape = state['clip_shape']

    def get(self, key: str) -> Optional[torch.Tensor]:
        return self.features.get(key)

    def put(self, key: str, embedding: torch.Tensor) -> None:
        self.features[key] = embedding.detach().float().cpu()

    def save(self) -> None:
        """Write the file atomically (a crash never leaves half a cache)."""
        if self.path is None:
            return
        os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
        tmp = f'{self.path}.tmp{os.getpid()}'
        torch.save(dict(features=self.features, clip_shape=self.clip_shape),
                   tmp)
        os.replace(tmp, self.path)
