"""A training sampler for exact, mid-epoch resumption."""
import itertools
from typing import Iterator

from mmengine.dataset import DefaultSampler

from clover.registry import DATA_SAMPLERS


class SampleIndex(int):
    """A dataset index that also carries the sampler's ``seed`` and
    ``epoch``.

    It is an ``int``, so every dataset and dataset wrapper indexes with it
    as before; :class:`~clover.datasets.VideoTextBaseDataset` also reads
    ``seed`` and ``epoch`` and seeds the sample's random transforms from
    ``(seed, epoch, index)``. The key travels with the index to the
    dataloader workers, so persistent workers see the current epoch.

    Args:
        index (int): Position in the dataset.
        seed (int): The sampler's seed.
        epoch (int): The sampler's epoch.
    """

    def __new__(cls, index: int, seed: int, epoch: int) -> 'SampleIndex':
        key = super().__new__(cls, index)
        key.seed = seed
        key.epoch = epoch
        return key

    def __reduce__(self):
        return type(self), (int(self), self.seed, self.epoch)

    def __repr__(self) -> str:
        return (f'SampleIndex({int(self)}, seed={self.seed}, '
                f'epoch={self.epoch})')


@DATA_SAMPLERS.register_module()
class ResumableSampler(DefaultSampler):
    """MMEngine's :class:`~mmengine.dataset.DefaultSampler` (same order for
    the same seed and epoch, same split between ranks) that yields
    :class:`SampleIndex` keys and can start a pass mid-epoch.

    ``len()`` stays the full share of the rank, so that
    ``len(dataloader)`` is the epoch's length even in a resumed epoch.
    :class:`~clover.engine.hooks.ExactResumeHook` calls :meth:`start_at`
    when a run resumes from a mid-epoch checkpoint.

    Args:
        dataset: The dataset.
        shuffle (bool): Shuffle every epoch. Defaults to True.
        seed (int, optional): Seed of the shuffle and of the samples' random
            transforms; None draws one, shared by all ranks. The runner sets
            it to the run's seed. Defaults to None.
        round_up (bool): Pad the indices so that every rank gets the same
            number. Defaults to True.
    """

    def __init__(self, dataset, shuffle: bool = True, seed=None,
                 round_up: bool = True) -> None:
        super().__init__(
            dataset, shuffle=shuffle, seed=seed, round_up=round_up)
        self._start = 0

    def start_at(self, position: int) -> None:
        """Make the next pass skip the first ``position`` indices of this
        rank (the samples of the batches already trained on)."""
        if not 0 <= position <= self.num_samples:
            raise ValueError(
                f'cannot start at sample {position} of a pass of '
                f'{self.num_samples} samples')
        self._start = position

    def __iter__(self) -> Iterator[SampleIndex]:
        start, self._start = self._start, 0
        indices = itertools.islice(super().__iter__(), start, None)
        return (SampleIndex(index, self.seed, self.epoch)
                for index in indices)


def start_loader_at(loader, num_batches: int) -> bool:
    """Make the next pass of ``loader`` begin after its first
    ``num_batches`` batches, without reading them.

    Args:
        loader (DataLoader): A dataloader with a batch size (no custom batch
            sampler).
        num_batches (int): Batches of the pass already trained on.

    Returns:
        bool: False (and nothing changed) if the loader's sampler is not a
        :class:`ResumableSampler`, which alone can start mid-pass.
    """
    batch_sampler = getattr(loader, 'batch_sampler', None)
    sampler = getattr(batch_sampler, 'sampler', None)
    if not isinstance(sampler, ResumableSampler):
        return False
    sampler.start_at(min(num_batches * batch_sampler.batch_size,
                         len(sampler)))
    return True
