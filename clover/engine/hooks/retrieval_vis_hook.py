"""Retrieval contact sheets of a few fixed queries at every evaluation."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_world_size, is_main_process
from mmengine.hooks import Hook

from clover.datasets.video_io import VideoDecodeError
from clover.registry import HOOKS
from clover.visualization import (SheetRow, draw_retrieval_sheet,
                                  read_clip_frames)


@HOOKS.register_module()
class RetrievalVisHook(Hook):
    """Draw, at each validation (and test), the top-k videos of a few
    validation captions, with the ground-truth video framed in green.

    The queries are the first caption of ``num_queries`` videos spread
    evenly over the evaluation set (the same videos every time, so the
    sheets of successive epochs compare). Each query is ranked against the
    whole gallery with the cosine of the embeddings the model's ``predict``
    fills in (``video_embedding`` ``(D,)``, ``text_embeddings`` ``(K, D)``:
    what :class:`~clover.evaluation.RetrievalMetric` scores); ties rank the
    ground truth last, as the metric does, so its rank on the sheet is the
    metric's t2v rank of that caption. A ground truth outside the top-k
    gets a row of its own below them.

    The sheets go through the runner's visualizer (``add_image``), so every
    configured vis backend receives them: ``LocalVisBackend`` writes
    ``{work_dir}/{timestamp}/vis_data/vis_image/{mode}_retrieval_query{i}_{step}.png``
    (``step`` is the epoch, or the iteration when the log processor counts
    by iterations), TensorBoard shows them in its image tab. The ranking of
    each query also goes to the log file.

    The evaluation pipeline must keep every caption of a video, in order
    (``SampleCaptions(num_captions=None)``, as Clover's test pipelines do),
    so that the first text embedding is the first caption.

    Args:
        num_queries (int): Queries drawn. Defaults to 4.
        topk (int): Ranked videos per sheet. Defaults to 5.
        num_frames (int): Evenly spaced frames shown per video. Defaults
            to 4.
        frame_size (tuple[int, int]): ``(height, width)`` of a frame cell.
            Defaults to (96, 96).
        interval (int): Draw every ``interval``-th evaluation. Defaults
            to 1.
        query_indices (Sequence[int], optional): Dataset items whose first
            caption is a query, instead of ``num_queries`` evenly spaced
            ones.
        video_backend (str): Decoder of the frames, as for
            :func:`~clover.datasets.video_io.open_video`. Defaults to
            ``'auto'``.
        draw_test (bool): Also draw after ``runner.test()``. Defaults to
            True.
    """

    priority = 'LOW'

    def __init__(self,
                 num_queries: int = 4,
                 topk: int = 5,
                 num_frames: int = 4,
                 frame_size: Tuple[int, int] = (96, 96),
                 interval: int = 1,
                 query_indices: Optional[Sequence[int]] = None,
                 video_backend: str = 'auto',
                 draw_test: bool = True) -> None:
        for name, value in (('num_queries', num_queries), ('topk', topk),
                            ('num_frames', num_frames),
                            ('interval', interval)):
            if value < 1:
                raise ValueError(
                    f'RetrievalVisHook: {name} must be >= 1, got {value}')
        self.num_queries = num_queries
        self.topk = topk
        self.num_frames = num_frames
        self.frame_size = tuple(frame_size)
        self.interval = interval
        self.query_indices = (None if query_indices is None else
                              [int(i) for i in query_indices])
        self.video_backend = video_backend
        self.draw_test = draw_test
        self._num_evaluations = 0
        self._active = False
        self._gallery: Dict[int, dict] = {}
        self._queries: Dict[int, str] = {}
        self._video_embeddings: Dict[int, torch.Tensor] = {}
        self._query_embeddings: Dict[int, torch.Tensor] = {}

    # Collection --------------------------------------------------------

    def _begin(self, dataset) -> None:
        """Read the gallery's paths and captions (no decoding) and choose
        the query videos."""
        self._gallery = {}
        for item in range(len(dataset)):
            info = dataset.get_data_info(item)
            missing = [
                key for key in ('video_index', 'video_path', 'captions')
                if key not in info
            ]
            if missing:
                raise KeyError(
                    f'RetrievalVisHook needs a retrieval dataset: item {item} '
                    f'of {type(dataset).__name__} has no field(s) {missing}.')
            self._gallery.setdefault(int(info['video_index']), info)
        items = self.query_indices
        if items is None:
            count = min(self.num_queries, len(dataset))
            items = np.unique(
                np.linspace(0, len(dataset) - 1, count).round().astype(int))
        bad = [i for i in items if not 0 <= i < len(dataset)]
        if bad:
            raise ValueError(
                f'RetrievalVisHook: query_indices {bad} are outside the '
                f'evaluation set of {len(dataset)} items.')
        self._queries = {}
        for item in items:
            info = dataset.get_data_info(int(item))
            self._queries[int(info['video_index'])] = info['captions'][0]
        self._video_embeddings = {}
        self._query_embeddings = {}

    def _collect(self, outputs: Sequence) -> None:
        for sample in outputs:
            index = int(sample.get('video_index'))
            video = sample.get('video_embedding')
            texts = sample.get('text_embeddings')
            if video is None or texts is None:
                raise KeyError(
                    'RetrievalVisHook needs video_embedding and '
                    'text_embeddings in the predictions (a retrieval '
                    f'model); video_index {index} has keys '
                    f'{sorted(sample.keys())}.')
            self._video_embeddings[index] = video.detach().float().cpu()
            if index in self._queries:
                num_captions = len(self._gallery[index]['captions'])
                if len(texts) != num_captions:
                    raise ValueError(
                        f'RetrievalVisHook: video_index {index} has '
                        f'{num_captions} captions but {len(texts)} text '
                        'embeddings; the evaluation pipeline must keep all '
                        'captions in order '
                        '(SampleCaptions(num_captions=None))')
                self._query_embeddings[index] = (
                    texts[0].detach().float().cpu())

    def _gather(
            self) -> Tuple[Dict[int, torch.Tensor], Dict[int, torch.Tensor]]:
        """The embeddings of every rank (the sampler's padding repeats a
        video; the repeat is the same embedding)."""
        if get_world_size() == 1:
            return self._video_embeddings, self._query_embeddings
        videos, queries = {}, {}
        for rank_videos, rank_queries in all_gather_object(
                (self._video_embeddings, self._query_embeddings)):
            videos.update(rank_videos)
            queries.update(rank_queries)
        return videos, queries

    # Drawing ----------------------------------------------------------

    @staticmethod
    def rank_query(query: torch.Tensor, videos: torch.Tensor,
                   gt: int) -> Tuple[np.ndarray, np.ndarray]:
        """Order a gallery for one query; ties put the ground truth last
        (the metric's pessimistic rule), so its position is its t2v rank.

        Args:
            query (Tensor): ``(D,)`` text embedding.
            videos (Tensor): ``(N, D)`` video embeddings.
            gt (int): Row of the ground-truth video in ``videos``.

        Returns:
            tuple[np.ndarray, np.ndarray]: ``order`` ``(N,)``, the rows best
            first, and their ``scores`` ``(N,)`` (in row order).
        """
        scores = (videos @ query).numpy()
        rows = np.arange(len(scores))
        # lexsort: the last key is the primary one.
        return np.lexsort((rows, rows == gt, -scores)), scores

    def _draw(self, runner, mode: str) -> None:
        videos, queries = self._gather()
        # Until the next evaluation only the gathered copy is needed.
        self._video_embeddings, self._query_embeddings = {}, {}
        if not is_main_process():
            return
        indices = sorted(videos)
        position = {index: row for row, index in enumerate(indices)}
        gallery = torch.stack([videos[index] for index in indices])
        frames_cache: Dict[int, Optional[np.ndarray]] = {}
        step = self._step(runner)
        for number, (gt_index, caption) in enumerate(self._queries.items()):
            if gt_index not in queries:
                runner.logger.warning(
                    f'RetrievalVisHook: no prediction for query video '
                    f'{gt_index}; its sheet is skipped.')
                continue
            order, scores = self.rank_query(queries[gt_index], gallery,
                                            position[gt_index])
            rank_of = np.empty(len(order), int)
            rank_of[order] = np.arange(1, len(order) + 1)
            gt_rank = int(rank_of[position[gt_index]])
            shown = list(order[:self.topk])
            if gt_rank > self.topk:
                shown.append(order[gt_rank - 1])
            rows = [
                SheetRow(
                    rank=int(rank_of[row]),
                    score=float(scores[row]),
                    name=str(self._gallery[indices[row]].get(
                        'video_id', indices[row])),
                    frames=self._frames(runner, indices[row], frames_cache),
                    is_match=indices[row] == gt_index) for row in shown
            ]
            top_ids = [row.name for row in rows[:self.topk]]
            runner.logger.info(
                f'RetrievalVisHook {mode} step {step} query {number} '
                f'(video_index {gt_index}) {caption!r}: top-{self.topk} '
                f'{top_ids}, ground truth at rank {gt_rank}')
            sheet = draw_retrieval_sheet(
                caption, rows, self.num_frames, self.frame_size,
                title=f'{mode} step {step}: query {number}, ground truth '
                f'rank {gt_rank} of {len(indices)}')
            runner.visualizer.add_image(
                f'{mode}_retrieval_query{number}', sheet, step=step)

    def _frames(
            self, runner, index: int,
            cache: Dict[int, Optional[np.ndarray]]) -> Optional[np.ndarray]:
        if index not in cache:
            path = self._gallery[index]['video_path']
            try:
                cache[index] = read_clip_frames(path, self.num_frames,
                                                self.video_backend)
            except VideoDecodeError as error:
                runner.logger.warning(f'RetrievalVisHook: {error}; its row '
                                      'is drawn blank.')
                cache[index] = None
        return cache[index]

    @staticmethod
    def _step(runner) -> int:
        """The epoch (or iteration) the metrics of this evaluation are
        logged at; 0 outside training (MMEngine's LoggerHook rule: reading
        ``runner.epoch`` would build a train loop)."""
        if isinstance(runner._train_loop, dict) or runner._train_loop is None:
            return 0
        return runner.epoch if runner.log_processor.by_epoch else runner.iter

    # Hook points -------------------------------------------------------

    def before_val_epoch(self, runner) -> None:
        self._num_evaluations += 1
        self._active = self._num_evaluations % self.interval == 0
        if self._active:
            self._begin(runner.val_loop.dataloader.dataset)

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[List] = None) -> None:
        if self._active:
            self._collect(outputs)

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self._active:
            self._draw(runner, 'val')
            self._active = False

    def before_test_epoch(self, runner) -> None:
        self._active = self.draw_test
        if self._active:
            self._begin(runner.test_loop.dataloader.dataset)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[List] = None) -> None:
        if self._active:
            self._collect(outputs)

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self._active:
            self._draw(runner, 'test')
            self._active = False
