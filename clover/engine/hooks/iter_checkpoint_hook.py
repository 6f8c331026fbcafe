"""Resumable checkpoints within an epoch."""
import glob
import os
import os.path as osp
import re
import time
from typing import Optional

from mmengine.dist import broadcast_object_list, get_world_size, master_only
from mmengine.hooks import Hook

from clover.registry import HOOKS


@HOOKS.register_module()
class IterCheckpointHook(Hook):
    """Save a resumable checkpoint every ``interval`` iterations and/or
    every ``interval_minutes`` minutes, keeping the last ``max_keep_ckpts``.

    The files (``iter_<n>.pth`` in the work dir, ``n`` iterations done)
    hold what MMEngine's epoch checkpoints hold (weights, optimizer,
    schedulers, message hub, EMA weights) and become the work dir's
    ``last_checkpoint``, so ``tools/train.py --resume`` continues from the
    newest one at the next unseen batch (:class:`ExactResumeHook`). It works
    beside the epoch-end ``CheckpointHook``, whose files, ``max_keep_ckpts``
    and best-checkpoint logic it leaves alone.

    Args:
        interval (int): Save every ``interval`` iterations; -1 never by
            count. Defaults to -1.
        interval_minutes (float, optional): Save when this many minutes of
            training passed since the run started or last saved; None never
            by time. Rank 0's clock decides for all ranks. Defaults to None.
        max_keep_ckpts (int): Iteration checkpoints kept; older ones are
            deleted. Defaults to 2.
    """

    priority = 'VERY_LOW'
    filename_tmpl = 'iter_{}.pth'

    def __init__(self,
                 interval: int = -1,
                 interval_minutes: Optional[float] = None,
                 max_keep_ckpts: int = 2) -> None:
        if interval == 0 or interval < -1:
            raise ValueError(
                f'interval must be a positive int or -1, got {interval}')
        if interval_minutes is not None and interval_minutes <= 0:
            raise ValueError(
                f'interval_minutes must be > 0 or None, got '
                f'{interval_minutes}')
        if max_keep_ckpts < 1:
            raise ValueError(
                f'max_keep_ckpts must be >= 1, got {max_keep_ckpts}')
        self.interval = interval
        self.interval_minutes = interval_minutes
        self.max_keep_ckpts = max_keep_ckpts
        self._last_save = time.monotonic()

    def before_train(self, runner) -> None:
        self._last_save = time.monotonic()

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        done = runner.iter + 1
        if not (self.interval > 0 and done % self.interval == 0
                or self._time_is_up()):
            return
        filename = self.filename_tmpl.format(done)
        runner.save_checkpoint(runner.work_dir, filename, by_epoch=False)
        self._point_last_checkpoint_to(runner, filename)
        self._last_save = time.monotonic()

    def _time_is_up(self) -> bool:
        if self.interval_minutes is None:
            return False
        elapsed = time.monotonic() - self._last_save
        due = [elapsed >= 60 * self.interval_minutes]
        if get_world_size() > 1:
            broadcast_object_list(due)
        return due[0]

    @master_only
    def _point_last_checkpoint_to(self, runner, filename: str) -> None:
        """Write ``last_checkpoint`` (what ``--resume`` reads) and delete
        the iteration checkpoints past ``max_keep_ckpts``."""
        # Written beside and renamed over, so that a kill mid-write leaves
        # the previous, complete pointer.
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        with open(pointer + '.tmp', 'w') as file:
            file.write(osp.join(runner.work_dir, filename))
        os.replace(pointer + '.tmp', pointer)
        pattern = re.compile(
            re.escape(self.filename_tmpl).replace(r'\{\}', r'(\d+)') + '$')
        saved = []
        for path in glob.glob(osp.join(runner.work_dir, '*.pth')):
            match = pattern.match(osp.basename(path))
            if match:
                saved.append((int(match.group(1)), path))
        for _, path in sorted(saved)[:-self.max_keep_ckpts]:
            os.remove(path)
