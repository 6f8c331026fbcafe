"""Progress bars and results on a quiet console."""
import os.path as osp
from typing import Dict, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from rich.progress import (BarColumn, MofNCompleteColumn, Progress,
                           TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)

from clover.registry import HOOKS
from clover.utils.console import console_log, rich_console


def format_metrics(metrics: Dict[str, float]) -> str:
    """``'dual/t2v/R@1 57.30  dual/t2v/R@5 98.00 ...'``: every metric with
    two decimals (integers as they are)."""
    parts = []
    for key, value in metrics.items():
        value = value.item() if hasattr(value, 'item') else value
        if isinstance(value, float):
            parts.append(f'{key} {value:.2f}')
        else:
            parts.append(f'{key} {value}')
    return '  '.join(parts)


@HOOKS.register_module()
class ConsoleProgressHook(Hook):
    """One progress bar per training epoch (and one per test run) with the
    latest loss, then the validation / test metrics, on rank 0.

    :class:`~clover.engine.runner.CloverRunner` adds this hook itself in the
    quiet console mode (``console_mode='quiet'``); MMEngine's per-iteration
    log lines still go to the log file. On a terminal the bar moves; in a
    log or a pipe each bar is written once, complete, when it ends.
    """

    priority = 'BELOW_NORMAL'

    def __init__(self) -> None:
        self._progress: Optional[Progress] = None
        self._task = None

    def _start(self, description: str, total: int) -> None:
        if not is_main_process():
            return
        self._progress = Progress(
            TextColumn('{task.description}'),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn('<'),
            TimeRemainingColumn(),
            TextColumn('{task.fields[status]}'),
            console=rich_console())
        self._task = self._progress.add_task(
            description, total=total, status='')
        self._progress.start()

    def _advance(self, status: str = '') -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, status=status)

    def _stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def before_train(self, runner) -> None:
        loop = runner.train_loop
        console_log(
            f'Training {type(runner.model).__name__} for '
            f'{loop.max_epochs} epochs of {len(loop.dataloader)} iterations '
            f'in {runner.work_dir} (full log: {runner.logger.log_file})',
            logger=runner.logger)

    def before_train_epoch(self, runner) -> None:
        loop = runner.train_loop
        done = runner.iter - runner.epoch * len(loop.dataloader)
        self._start(f'epoch {runner.epoch + 1}/{loop.max_epochs}',
                    len(loop.dataloader))
        if self._progress is not None and done > 0:
            # A mid-epoch resume starts the bar where the epoch stands.
            self._progress.update(self._task, completed=done)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        # The message hub already holds the loss as a Python float: reading
        # it costs no device synchronisation.
        loss = runner.message_hub.log_scalars.get('train/loss')
        self._advance('' if loss is None else f'loss {loss.current():.4f}')

    def after_train_epoch(self, runner) -> None:
        self._stop()

    def after_val_epoch(self, runner, metrics=None) -> None:
        if metrics:
            console_log(
                f'epoch {runner.epoch} val: {format_metrics(metrics)}',
                logger=runner.logger)

    def after_train(self, runner) -> None:
        summary = f'Training done: checkpoints and logs in {runner.work_dir}'
        # CheckpointHook records the best checkpoint when save_best is set.
        best = runner.message_hub.get_info('best_ckpt')
        if best:
            summary += f'; best checkpoint {osp.basename(best)}'
        console_log(summary, logger=runner.logger)

    def before_test_epoch(self, runner) -> None:
        self._start('test', len(runner.test_loop.dataloader))

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch=None,
                        outputs=None) -> None:
        self._advance()

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._stop()
        if metrics:
            console_log(f'test: {format_metrics(metrics)}',
                        logger=runner.logger)
