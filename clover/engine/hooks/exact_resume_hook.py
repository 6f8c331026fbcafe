"""Make a resumed run repeat the uninterrupted one exactly."""
from typing import List, Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import BaseLoop, EpochBasedTrainLoop

from clover.datasets.samplers import ResumableSampler, start_loader_at
from clover.registry import HOOKS
from clover.utils.seeding import (ITERATION_STREAM, derive_seed,
                                  seed_global_generators)
from ..runner.multi_source_loop import MultiSourceTrainLoop


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Seed the model's randomness per iteration and continue a mid-epoch
    checkpoint at its next unseen batch.

    - Before every training iteration, Python's, NumPy's and torch's (CPU
      and CUDA) generators are seeded from ``(runner.seed, runner.iter)``:
      dropout, stochastic depth and any other random draw of the step are
      the same in a resumed run as in the uninterrupted one, whatever the
      process drew before (a fresh process, dataloader start-up,
      validation).
    - At the start of an epoch of :class:`~mmengine.runner.
      EpochBasedTrainLoop` resumed from a mid-epoch checkpoint (see
      :class:`IterCheckpointHook`), the train sampler, a
      :class:`~clover.datasets.ResumableSampler`, skips the batches the
      checkpoint already trained on. :class:`~clover.engine.
      MultiSourceTrainLoop` positions its sources itself. In that resumed
      epoch, MMEngine's loop numbers the batches from 1 again in the log;
      ``runner.iter`` and everything trained are those of the straight run.

    - The seeds of the train loop's ResumableSamplers go into every
      checkpoint and come back on resume: a run whose ``randomness.seed``
      is None draws a new seed at each start, which MMEngine replaces by
      the checkpoint's only after the samplers were built with it.

    The samples' own augmentation is seeded by the dataset from the
    sampler's keys (:class:`~clover.datasets.VideoTextBaseDataset`).
    Priority ``LOWEST``: the seeding is the last thing before the step.

    Raises:
        RuntimeError: When resuming mid-epoch with a sampler that cannot
            start mid-epoch (MMEngine's ``DefaultSampler`` would silently
            train on the epoch's first batches again).
    """

    priority = 'LOWEST'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        samplers = self._train_samplers(runner)
        if samplers:
            checkpoint['meta']['sampler_seeds'] = [
                sampler.seed for sampler in samplers
            ]

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        seeds = checkpoint.get('meta', {}).get('sampler_seeds')
        # Only a resume continues the run (``load_from`` starts a new one).
        if seeds is None or not getattr(runner, '_resume', False):
            return
        samplers = self._train_samplers(runner)
        if len(seeds) != len(samplers):
            raise RuntimeError(
                f'the checkpoint was trained with {len(seeds)} resumable '
                f'train samplers, this run has {len(samplers)}')
        for sampler, seed in zip(samplers, seeds):
            sampler.seed = seed

    @staticmethod
    def _train_samplers(runner) -> List[ResumableSampler]:
        """The ResumableSamplers of the built train loop's dataloaders."""
        loop = getattr(runner, '_train_loop', None)
        if not isinstance(loop, BaseLoop):
            return []
        loaders = getattr(loop.dataloader, 'loaders', [loop.dataloader])
        samplers = [
            getattr(getattr(loader, 'batch_sampler', None), 'sampler', None)
            for loader in loaders
        ]
        return [s for s in samplers if isinstance(s, ResumableSampler)]

    def before_train_epoch(self, runner) -> None:
        loop = runner.train_loop
        if (not isinstance(loop, EpochBasedTrainLoop)
                or isinstance(loop, MultiSourceTrainLoop)):
            return
        epoch_length = len(loop.dataloader)
        done = runner.iter - runner.epoch * epoch_length
        if done == 0:
            return
        if not 0 < done <= epoch_length:
            raise RuntimeError(
                f'iteration {runner.iter} is not in epoch {runner.epoch} of '
                f'{epoch_length} iterations: the checkpoint was trained '
                'with another dataset or batch size')
        if not start_loader_at(loop.dataloader, done):
            raise RuntimeError(
                f'Resuming in the middle of epoch {runner.epoch + 1} '
                f'(batch {done} of {epoch_length}), but the train sampler '
                'cannot start mid-epoch. Set train_dataloader.sampler to '
                "dict(type='ResumableSampler', shuffle=True), or resume "
                'from an epoch checkpoint.')
        print_log(
            f'Resuming mid-epoch: epoch {runner.epoch + 1} continues at '
            f'batch {done + 1} of {epoch_length}.', logger='current')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        seed_global_generators(
            derive_seed(ITERATION_STREAM, runner.seed, runner.iter))
