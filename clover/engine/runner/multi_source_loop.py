"""A training loop that alternates batches of several data sources.

Clover pre-trains on WebVid videos and CC3M images from two dataloaders. Each
step takes one batch of ONE source and makes one optimizer step; the sources
take turns (video, image, video, ...), because videos and images give
different numbers of tokens and never share a contrastive batch.

The original runner fed the shorter loader into every slot once it ran out,
so the rest of the longer source was silently skipped (docs/method.md
§6.2). Here the shorter source starts a new, reshuffled pass instead, and the
longer source is read exactly once per epoch.
"""
import math
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from mmengine.structures import BaseDataElement
from torch.utils.data import DataLoader

from clover.datasets.samplers import start_loader_at
from clover.registry import LOOPS


def _set_sampler_epoch(loader: DataLoader, epoch: int) -> None:
    """Reseed the sampler of ``loader`` the way ``DistSamplerSeedHook`` does
    for the main loader (the sampler may sit inside a batch sampler)."""
    sampler = getattr(loader, 'sampler', None)
    if not hasattr(sampler, 'set_epoch'):
        sampler = getattr(getattr(loader, 'batch_sampler', None), 'sampler',
                          None)
    if hasattr(sampler, 'set_epoch'):
        sampler.set_epoch(epoch)


class RoundRobinLoader:
    """The batches of several dataloaders in turn, for one epoch at a time.

    Step ``k`` of an epoch is the ``k // n``-th batch of source ``k % n``
    (``n`` sources), and an epoch has ``n * max(len(loader))`` steps. So the
    longest source is read once per epoch, and a shorter one makes
    ``ceil(max_len / len)`` passes, the last one cut short at the end of the
    epoch. Pass ``p`` of source ``i`` in epoch ``e`` seeds its sampler with
    epoch ``e * passes_i + p``: every pass is reshuffled, and the batches of
    any step depend only on ``(e, k)``, which makes resuming exact.

    This object is what ``runner.train_dataloader`` returns under
    :class:`MultiSourceTrainLoop`, so that MMEngine's hooks, log processor
    and ``convert_to_iter_based`` schedulers see the true epoch length.

    Args:
        loaders (Sequence[DataLoader]): The sources; ``loaders[0]`` is the
            main one (its dataset is :attr:`dataset`). Each must have a
            ``len()`` of at least one batch.
    """

    def __init__(self, loaders: Sequence[DataLoader]) -> None:
        if len(loaders) == 0:
            raise ValueError('RoundRobinLoader needs at least one dataloader')
        for index, loader in enumerate(loaders):
            if len(loader) == 0:
                raise ValueError(
                    f'data source {index} ({type(loader.dataset).__name__}) '
                    'gives no batch: its dataset is empty or smaller than '
                    'batch_size with drop_last=True')
        self.loaders = list(loaders)
        self.epoch = 0

    @property
    def num_sources(self) -> int:
        return len(self.loaders)

    @property
    def dataset(self) -> Any:
        """The main source's dataset (MMEngine reads its ``metainfo``)."""
        return self.loaders[0].dataset

    def __len__(self) -> int:
        return self.num_sources * max(len(loader) for loader in self.loaders)

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose batches the next iteration yields."""
        self.epoch = epoch

    def source_of(self, step: int) -> int:
        """Index of the source that step ``step`` of an epoch reads."""
        return step % self.num_sources

    def passes_per_epoch(self, source: int) -> int:
        """How many (partial) passes over ``source`` one epoch starts."""
        steps_of_source = len(self) // self.num_sources
        return math.ceil(steps_of_source / len(self.loaders[source]))

    def __iter__(self) -> Iterator:
        return self.iter_from(0)

    def iter_from(self, start: int) -> Iterator:
        """Yield the batches of steps ``start, ..., len(self) - 1`` of the
        current epoch.

        Starting past 0 (a resumed, mid-epoch checkpoint), each source
        begins after the batches it already gave in the current pass: a
        :class:`~clover.datasets.ResumableSampler` skips them unread, any
        other sampler's batches are read and dropped.
        """
        if not 0 <= start <= len(self):
            raise ValueError(
                f'start step {start} is outside the epoch of {len(self)} '
                'steps')
        streams = [
            self._stream(source, self._batches_before(source, start))
            for source in range(self.num_sources)
        ]
        for step in range(start, len(self)):
            yield next(streams[self.source_of(step)])

    def _batches_before(self, source: int, step: int) -> int:
        """How many batches ``source`` gives in steps ``0..step-1``."""
        return max(0, math.ceil((step - source) / self.num_sources))

    def _stream(self, source: int, consumed: int) -> Iterator:
        """The batches of ``source`` for this epoch, after its first
        ``consumed`` ones."""
        loader = self.loaders[source]
        passes = self.passes_per_epoch(source)
        first_pass, skip = divmod(consumed, len(loader))
        for pass_index in range(first_pass, passes):
            _set_sampler_epoch(loader, self.epoch * passes + pass_index)
            num_batches = 0
            if skip and start_loader_at(loader, skip):
                num_batches = skip
                skip = 0
            elif skip:
                print_log(
                    f'Resuming mid-epoch: reading and dropping {skip} '
                    f'batches of data source {source} to reach its '
                    'position (a ResumableSampler would skip them unread).',
                    logger='current')
            for batch in loader:
                if num_batches >= skip:
                    yield batch
                num_batches += 1
            if num_batches != len(loader):
                raise RuntimeError(
                    f'data source {source} gave {num_batches} batches in a '
                    f'pass, but its len() is {len(loader)}')
            skip = 0


@LOOPS.register_module()
class MultiSourceTrainLoop(EpochBasedTrainLoop):
    """Epoch-based training over several data sources, one batch (and one
    optimizer step) per iteration, the sources taking turns.

    ``runner.train_dataloader`` in the config is the main source (WebVid);
    ``other_dataloaders`` are the rest (CC3M). The batches follow
    :class:`RoundRobinLoader`: an epoch is ``num_sources * max(len)``
    iterations, the longest source is read exactly once per epoch and shorter
    ones restart, reshuffled, when they run out. ``runner.iter``, the hooks'
    ``batch_idx`` and iteration-based schedulers count every batch.

    Each step records its source: ``data_source`` (the index) in the message
    hub's runtime info and in the metainfo of every data sample of the batch,
    and the step's ``loss`` as the scalar ``train/loss_<source name>``, which
    the log lines show next to the mixed ``loss``.

    Resuming is exact both at epoch boundaries and mid-epoch (iteration
    checkpoints, :class:`~clover.engine.IterCheckpointHook`): the batches of
    every step depend only on the epoch, the step and the samplers' seed;
    with :class:`~clover.datasets.ResumableSampler` the samples'
    augmentation depends on them too, and the batches already trained on
    are skipped unread (other samplers' are read again and dropped).
    :class:`~clover.engine.ExactResumeHook` seeds the model's randomness.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader or dict): The main source.
        max_epochs (int): Total training epochs.
        other_dataloaders (list[DataLoader or dict]): The other sources, in
            turn order after the main one. Dicts are built like the main
            one, with the runner's seed.
        val_begin (int): The epoch that begins validating. Defaults to 1.
        val_interval (int): Validation interval in epochs. Defaults to 1.
        dynamic_intervals (list[tuple[int, int]], optional): As in
            :class:`EpochBasedTrainLoop`. Defaults to None.
        source_names (Sequence[str], optional): Names of the sources in the
            per-source loss keys, main source first. Defaults to
            ``('source0', 'source1', ...)``.

    Example:
        >>> train_cfg = dict(
        ...     type='MultiSourceTrainLoop', max_epochs=40, val_interval=1,
        ...     other_dataloaders=[cc3m_dataloader],
        ...     source_names=('webvid', 'cc3m'))
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 max_epochs: int,
                 other_dataloaders: List[Union[DataLoader, Dict]],
                 val_begin: int = 1,
                 val_interval: int = 1,
                 dynamic_intervals: Optional[List[tuple]] = None,
                 source_names: Optional[Sequence[str]] = None) -> None:
        if not isinstance(other_dataloaders, (list, tuple)):
            raise TypeError(
                'train_cfg.other_dataloaders must be a list of dataloaders '
                f'or dataloader configs, got {type(other_dataloaders)}')
        super().__init__(runner, dataloader, max_epochs, val_begin,
                         val_interval, dynamic_intervals)
        diff_rank_seed = runner._randomness_cfg.get('diff_rank_seed', False)
        loaders = [self.dataloader]
        for loader in other_dataloaders:
            if isinstance(loader, dict):
                loader = runner.build_dataloader(
                    loader, seed=runner.seed, diff_rank_seed=diff_rank_seed)
            loaders.append(loader)
        self.dataloader = RoundRobinLoader(loaders)

        if source_names is None:
            source_names = [f'source{i}' for i in range(len(loaders))]
        if len(source_names) != len(loaders):
            raise ValueError(
                f'train_cfg.source_names has {len(source_names)} names for '
                f'{len(loaders)} data sources (train_dataloader + '
                'other_dataloaders)')
        self.source_names = list(source_names)
        self._max_iters = self._max_epochs * len(self.dataloader)

    def run_epoch(self) -> None:
        """Iterate one epoch, or its rest after a mid-epoch resume."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        start = self._iter - self._epoch * len(self.dataloader)
        if not 0 <= start <= len(self.dataloader):
            raise RuntimeError(
                f'iteration {self._iter} is not in epoch {self._epoch} of '
                f'{len(self.dataloader)} iterations: the checkpoint was '
                'trained with other data sources or batch sizes')
        self.dataloader.set_epoch(self._epoch)
        for idx, data_batch in enumerate(
                self.dataloader.iter_from(start), start=start):
            self.run_iter(idx, data_batch)

        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def run_iter(self, idx: int, data_batch: Any) -> None:
        """Train on one batch with one optimizer step.

        Args:
            idx (int): Step within the epoch; its source is
                ``idx % num_sources``.
            data_batch (Any): The batch from that source.
        """
        source = self.dataloader.source_of(idx)
        self._tag_data_samples(data_batch, source)
        self.runner.message_hub.update_info('data_source', source)
        self.runner.call_hook(
            'before_train_iter', batch_idx=idx, data_batch=data_batch)
        outputs = self.runner.model.train_step(
            data_batch, optim_wrapper=self.runner.optim_wrapper)
        if 'loss' in outputs:
            self.runner.message_hub.update_scalar(
                f'train/loss_{self.source_names[source]}', outputs['loss'])
        self.runner.call_hook(
            'after_train_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=outputs)
        self._iter += 1

    @staticmethod
    def _tag_data_samples(data_batch: Any, source: int) -> None:
        """Write ``data_source`` into the metainfo of the batch's samples,
        so that the model can tell videos from images."""
        if not isinstance(data_batch, dict):
            return
        for sample in data_batch.get('data_samples') or []:
            if isinstance(sample, BaseDataElement):
                sample.set_metainfo(dict(data_source=source))
