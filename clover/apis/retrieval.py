"""Text-video retrieval with a trained dual encoder: index a gallery of
videos once, rank it for any number of texts, or rank texts for a video."""
import os.path as osp
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Union

import torch
from mmengine.dataset import pseudo_collate
from mmengine.logging import print_log
from rich.progress import Progress

from clover.datasets.video_io import VideoDecodeError
from clover.utils.console import rich_console
from .base import CloverInferencer, ModelSource
from .gallery import FeatureCache, GallerySource, file_key, model_key
from .gallery import resolve_gallery

DEFAULT_CACHE_DIR = osp.join(osp.expanduser('~'), '.cache', 'clover',
                             'features')


def rank_scores(scores: torch.Tensor, topk: Optional[int]) -> torch.Tensor:
    """Indices of the ``topk`` best scores (all when None), best first; equal
    scores keep gallery order.

    Args:
        scores (Tensor): ``(N,)`` scores.
    """
    order = torch.sort(scores, descending=True, stable=True).indices
    return order if topk is None else order[:topk]


class TextVideoRetrievalInferencer(CloverInferencer):
    """Rank one's own videos for a text query with a trained Clover.

    Clips are prepared by the config's test pipeline and embedded by the
    model's ``test_step`` (``video_embedding`` / ``text_embeddings`` of the
    predicted data samples); scores are cosine similarities.

    The video embeddings are cached in one file per model (checkpoint path,
    size and mtime, and the video pipeline) under ``cache_dir``, keyed by
    each video's path, size and mtime: querying a gallery a second time, in
    this process or another, decodes nothing.

    Example::

        >>> inferencer = TextVideoRetrievalInferencer(CONFIG, CKPT)
        >>> inferencer.index('my_videos/')
        >>> inferencer('a red square moves left', topk=5)[0]['paths']

    Args:
        model, weights, device, show_progress: See
            :class:`~clover.apis.base.CloverInferencer`.
        cache_dir (str or bool, optional): Folder of the feature caches;
            None means ``~/.cache/clover/features``, False keeps features in
            memory only.
        batch_size (int): Videos decoded and embedded per forward.
            Defaults to 8.
    """

    postprocess_kwargs = {'topk'}

    def __init__(self,
                 model: ModelSource,
                 weights: Optional[str] = None,
                 device: str = 'cpu',
                 cache_dir: Union[str, bool, None] = None,
                 batch_size: int = 8,
                 show_progress: bool = False) -> None:
        super().__init__(model, weights, device, show_progress)
        self.batch_size = batch_size
        if cache_dir is None:
            cache_dir = DEFAULT_CACHE_DIR
        key = model_key(getattr(self.model, 'checkpoint', None),
                        self.video_steps)
        self.cache = FeatureCache(
            osp.join(cache_dir, f'{key}.pt') if cache_dir else None)
        self.gallery_paths: List[str] = []
        self.gallery_embeddings: Optional[torch.Tensor] = None
        self.skipped: List[str] = []

    # Videos.
    def embed_videos(self,
                     paths: Sequence[str],
                     skip_bad: bool = False,
                     on_batch: Optional[Callable[[int], None]] = None
                     ) -> Dict[str, torch.Tensor]:
        """Embeddings ``(D,)`` of ``paths``, from the cache where it has
        them; the others are decoded, embedded and cached.

        Args:
            paths (Sequence[str]): Video files.
            skip_bad (bool): Leave out (and log) videos that cannot be
                decoded instead of raising; they are listed in
                :attr:`skipped`. Defaults to False.
            on_batch (callable, optional): Called with the number of videos
                of each decoded batch (progress bars).

        Returns:
            dict[str, Tensor]: Path -> embedding, for the embedded videos.

        Raises:
            VideoDecodeError: Naming the file, unless ``skip_bad``.
        """
        keys = {path: file_key(path) for path in paths}
        todo = [path for path in paths if self.cache.get(keys[path]) is None]
        batches = [
            todo[start:start + self.batch_size]
            for start in range(0, len(todo), self.batch_size)
        ]
        progress = None
        if self.show_progress and todo and on_batch is None:
            progress = Progress(console=rich_console(), transient=True)
            task = progress.add_task('embedding videos', total=len(todo))
            progress.start()
            on_batch = partial(progress.advance, task)
        try:
            for batch in batches:
                self._embed_batch(batch, keys, skip_bad)
                if on_batch is not None:
                    on_batch(len(batch))
        finally:
            if progress is not None:
                progress.stop()
        if todo:
            self.cache.save()
        return {
            path: self.cache.get(keys[path])
            for path in paths if self.cache.get(keys[path]) is not None
        }

    def _embed_batch(self, batch: List[str], keys: Dict[str, str],
                     skip_bad: bool) -> None:
        """Decode, embed and cache one batch of videos."""
        samples = []
        for path in batch:
            try:
                samples.append(self.video_pipeline(dict(video_path=path)))
            except VideoDecodeError as err:
                if not skip_bad:
                    raise
                self.skipped.append(path)
                print_log(f'skipped an unreadable video: {err}',
                          logger='current')
        if not samples:
            return
        self.cache.clip_shape = list(samples[0]['inputs']['imgs'].shape)
        for sample in self.predict_samples(samples):
            self.cache.put(keys[sample.video_path],
                           sample.video_embedding)

    def index(self,
              videos: GallerySource,
              video_dir: Optional[str] = None,
              skip_bad: bool = False) -> List[str]:
        """Make ``videos`` the gallery that queries rank.

        Args:
            videos (str or Sequence[str]): A folder (searched recursively
                for video files), a ``.json`` annotation file (with
                ``video_dir``) or a list of video files.
            video_dir (str, optional): Folder the annotation file's
                ``video`` fields are relative to.
            skip_bad (bool): See :meth:`embed_videos`.

        Returns:
            list[str]: The gallery's paths, in gallery order.
        """
        paths = resolve_gallery(videos, video_dir)
        embeddings = self.embed_videos(paths, skip_bad=skip_bad)
        self.gallery_paths = [path for path in paths if path in embeddings]
        if not self.gallery_paths:
            raise ValueError('no video of the gallery could be decoded')
        self.gallery_embeddings = torch.stack(
            [embeddings[path] for path in self.gallery_paths])
        return self.gallery_paths

    # Texts.
    def _clip_shape(self) -> List[int]:
        if self.cache.clip_shape is None:
            raise RuntimeError('index a gallery first (index(videos)): the '
                               'clip shape of the test pipeline is unknown')
        return self.cache.clip_shape

    def embed_texts(self, texts: Union[str, Sequence[str]],
                    chunk_size: int = 256) -> torch.Tensor:
        """Embeddings ``(K, D)`` of ``texts`` (L2-normalised)."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        if not texts:
            raise ValueError('no text to embed')
        chunks = []
        for start in range(0, len(texts), chunk_size):
            sample = self.pack_texts(texts[start:start + chunk_size],
                                     self._clip_shape())
            embedded = self.predict_samples([sample])[0]
            chunks.append(embedded.text_embeddings.float().cpu())
        return torch.cat(chunks)

    def preprocess(self, inputs: List[str], batch_size: int = 1, **kwargs):
        """Query texts, packed ``batch_size`` to a blank clip."""
        for start in range(0, len(inputs), batch_size):
            yield pseudo_collate([
                self.pack_texts(inputs[start:start + batch_size],
                                self._clip_shape())
            ])

    def postprocess(self,
                    preds: list,
                    visualization=None,
                    return_datasamples: bool = False,
                    topk: Optional[int] = 5) -> List[Dict]:
        """Rank the gallery for each query of ``preds``."""
        if return_datasamples:
            return preds
        texts = [text for sample in preds for text in sample.text]
        embeddings = torch.cat(
            [sample.text_embeddings.float().cpu() for sample in preds])
        return self._rank_gallery(texts, embeddings, topk)

    def __call__(self,
                 inputs: Union[str, Sequence[str]],
                 batch_size: int = 256,
                 **kwargs) -> List[Dict]:
        """Rank the indexed gallery for each text of ``inputs``; see
        :meth:`rank_videos` for the results."""
        self._check_indexed()
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        return super().__call__(texts, batch_size=batch_size, **kwargs)

    def _check_indexed(self) -> None:
        if self.gallery_embeddings is None:
            raise RuntimeError('no gallery: call index(videos) first')

    def _rank_gallery(self, texts: List[str], embeddings: torch.Tensor,
                      topk: Optional[int]) -> List[Dict]:
        scores = embeddings @ self.gallery_embeddings.T
        results = []
        for text, row in zip(texts, scores):
            order = rank_scores(row, topk)
            results.append(
                dict(
                    text=text,
                    paths=[self.gallery_paths[i] for i in order],
                    scores=row[order].tolist(),
                    ranks=list(range(1, len(order) + 1)),
                    indices=order.tolist()))
        return results

    def rank_videos(self,
                    texts: Union[str, Sequence[str]],
                    topk: Optional[int] = 5) -> List[Dict]:
        """Rank the gallery for each text.

        Args:
            texts (str or Sequence[str]): One or many queries.
            topk (int, optional): Hits per query; None ranks the whole
                gallery. Defaults to 5.

        Returns:
            list[dict]: Per text: ``text``, ``paths``, ``scores`` (cosine
            similarities, descending), ``ranks`` (1-based) and ``indices``
            (gallery positions).
        """
        self._check_indexed()
        texts = [texts] if isinstance(texts, str) else list(texts)
        return self._rank_gallery(texts, self.embed_texts(texts), topk)

    def rank_texts(self,
                   video: str,
                   texts: Sequence[str],
                   topk: Optional[int] = None) -> Dict:
        """Rank ``texts`` for one video (video-to-text).

        Returns:
            dict: ``video``, ``texts`` (best first), ``scores``, ``ranks``
            and ``indices`` (positions in ``texts``).
        """
        video_embedding = self.embed_videos([video])[video]
        texts = list(texts)
        scores = self.embed_texts(texts) @ video_embedding
        order = rank_scores(scores, topk)
        return dict(
            video=video,
            texts=[texts[i] for i in order],
            scores=scores[order].tolist(),
            ranks=list(range(1, len(order) + 1)),
            indices=order.tolist())
