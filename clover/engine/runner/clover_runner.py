"""MMEngine's Runner with distributed CPU (gloo) runs made to work."""
from typing import Dict, Optional

import torch
import torch.distributed as dist
from mmengine.runner import Runner

from clover.registry import RUNNERS


@RUNNERS.register_module()
class CloverRunner(Runner):
    """A :class:`mmengine.runner.Runner` that also runs distributed on
    machines without CUDA (``torchrun`` with the gloo backend).

    MMEngine 0.10 calls ``torch.cuda.set_device`` while initialising the
    process group and wraps the model in DDP with ``device_ids``; both fail
    for CPU processes. Here the gloo group is initialised directly and DDP is
    built with ``device_ids=None``. On CUDA machines nothing changes.
    """

    def setup_env(self, env_cfg: Dict) -> None:
        if (self.distributed and not dist.is_initialized()
                and not torch.cuda.is_available()):
            if self.launcher != 'pytorch':
                raise RuntimeError(
                    f'launcher {self.launcher!r} needs CUDA; on a CPU machine '
                    'start the processes with torchrun (--launcher pytorch)')
            timeout = env_cfg.get('dist_cfg', {}).get('timeout')
            kwargs = {}
            if timeout is not None:
                from datetime import timedelta
                kwargs['timeout'] = timedelta(seconds=timeout)
            dist.init_process_group(backend='gloo', **kwargs)
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


def destroy_dist() -> None:
    """Tear the process group down before exit. Without it, gloo runs
    sometimes abort while the interpreter shuts down."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
