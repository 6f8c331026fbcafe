"""MMEngine's Runner with distributed CPU (gloo) runs made to work."""
from datetime import timedelta
from typing import Dict, Optional, Union

import torch
import torch.distributed as dist
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapperDict
from mmengine.runner import Runner

from clover.registry import RUNNERS
from ..hooks import ConsoleProgressHook
from clover.utils.console import (CONSOLE_MODES, console_log,
                                  make_console_quiet)


def console_mode(cfg) -> str:
    """The config's ``console_mode`` (``'quiet'`` unless set), checked."""
    mode = cfg.get('console_mode', 'quiet')
    if mode not in CONSOLE_MODES:
        raise ValueError(f'console_mode must be one of {CONSOLE_MODES}, '
                         f'got {mode!r}')
    return mode


@RUNNERS.register_module()
class CloverRunner(Runner):
    """A :class:`mmengine.runner.Runner` that also runs distributed on
    machines without CUDA (``torchrun`` with the gloo backend).

    MMEngine 0.10 calls ``torch.cuda.set_device`` while initialising the
    process group and wraps the model in DDP with ``device_ids``; both fail
    for CPU processes. Here the gloo group is initialised directly and DDP is
    built with ``device_ids=None``. On CUDA machines nothing changes.

    The console follows the config's ``console_mode``: ``'quiet'`` (the
    default) shows progress bars, metrics and warnings and leaves every
    other line to the log file in the work dir
    (:mod:`clover.utils.console`); ``'verbose'`` is MMEngine's console.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self._console_mode() == 'quiet':
            self.register_hook(ConsoleProgressHook())

    def _console_mode(self) -> str:
        return console_mode(self.cfg)

    def build_logger(self,
                     log_level: Union[int, str] = 'INFO',
                     log_file: Optional[str] = None,
                     **kwargs) -> MMLogger:
        logger = super().build_logger(log_level, log_file, **kwargs)
        if self._console_mode() == 'quiet':
            make_console_quiet(logger)
        return logger

    def scale_lr(self, optim_wrapper, auto_scale_lr: Optional[Dict] = None
                 ) -> None:
        """MMEngine's linear lr scaling, then one console line with the
        batches and the lr of each parameter group after scaling."""
        super().scale_lr(optim_wrapper, auto_scale_lr)
        if auto_scale_lr is None or not auto_scale_lr.get('enable', False):
            return
        loader = self._train_dataloader
        batch = loader.batch_size if hasattr(
            loader, 'batch_size') else loader['batch_size']
        wrappers = optim_wrapper.values() if isinstance(
            optim_wrapper, OptimWrapperDict) else [optim_wrapper]
        lrs = sorted({
            group['lr']
            for wrapper in wrappers
            for group in wrapper.optimizer.param_groups
        })
        console_log(
            f"auto_scale_lr: base batch {auto_scale_lr['base_batch_size']}, "
            f'this run {self.world_size} x {batch} = '
            f'{self.world_size * batch}; scaled lr '
            + ', '.join(f'{lr:.4g}' for lr in lrs))

    def setup_env(self, env_cfg: Dict) -> None:
        if self.distributed:
            init_cpu_process_group(self.launcher, env_cfg)
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg: Optional[Dict],
                   model: torch.nn.Module) -> torch.nn.Module:
        if self.distributed and not torch.cuda.is_available():
            model_wrapper_cfg = dict(model_wrapper_cfg or {})
            model_wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
            model_wrapper_cfg.setdefault('device_ids', None)
            model_wrapper_cfg.setdefault('broadcast_buffers', False)
            model_wrapper_cfg.setdefault(
                'find_unused_parameters',
                self.cfg.get('find_unused_parameters', False))
        return super().wrap_model(model_wrapper_cfg, model)


def init_cpu_process_group(launcher: str, env_cfg: Dict) -> None:
    """Join the gloo group of a distributed run on a machine without CUDA.

    MMEngine's own set-up calls ``torch.cuda.set_device``, which fails
    there; once the group exists, MMEngine skips its set-up. On CUDA
    machines, or when the group exists already, nothing happens.

    Args:
        launcher (str): The job launcher; CPU runs need ``'pytorch'``
            (torchrun).
        env_cfg (dict): The config's ``env_cfg``; ``dist_cfg.timeout``
            (seconds) is honoured.
    """
    if (launcher == 'none' or dist.is_initialized()
            or torch.cuda.is_available()):
        return
    if launcher != 'pytorch':
        raise RuntimeError(
            f'launcher {launcher!r} needs CUDA; on a CPU machine start the '
            'processes with torchrun (--launcher pytorch)')
    timeout = env_cfg.get('dist_cfg', {}).get('timeout')
    kwargs = {}
    if timeout is not None:
        kwargs['timeout'] = timedelta(seconds=timeout)
    dist.init_process_group(backend='gloo', **kwargs)


def destroy_dist() -> None:
    """Tear the process group down before exit. Without it, gloo runs
    sometimes abort while the interpreter shuts down."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
