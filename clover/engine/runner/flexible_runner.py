"""MMEngine's FlexibleRunner (training through a strategy such as FSDP or
DeepSpeed) with Clover's console and CPU (gloo) processes."""
from typing import Dict, Optional, Union

from mmengine._strategy import BaseStrategy
from mmengine.runner import FlexibleRunner

from clover.registry import RUNNERS, STRATEGIES
from clover.utils.console import make_console_quiet
from ..hooks import ConsoleProgressHook
from .clover_runner import console_mode, init_cpu_process_group


@RUNNERS.register_module()
class CloverFlexibleRunner(FlexibleRunner):
    """The runner of configs that set a ``strategy``
    (``configs/_base_/strategies/``); :func:`clover.utils.build_runner`
    picks it for them in place of :class:`CloverRunner`.

    On top of :class:`mmengine.runner.FlexibleRunner`:

    - strategy types are looked up in Clover's registry (which falls back
      to MMEngine's), so ``CloverFSDPStrategy`` is found although the
      strategy is built before the default scope exists;
    - the config's ``compile`` option is honoured (MMEngine's ``from_cfg``
      leaves it out);
    - processes started by torchrun on a machine without CUDA join a gloo
      group, as with :class:`CloverRunner`;
    - the console follows ``console_mode``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if 'compile' not in kwargs:
            self._compile = self.cfg.get('compile', False)
        if console_mode(self.cfg) == 'quiet':
            self.register_hook(ConsoleProgressHook())

    def build_strategy(self,
                       strategy: Optional[Union[BaseStrategy, Dict]] = None,
                       launcher: str = 'none',
                       randomness: Optional[dict] = None,
                       env_cfg: dict = dict(dist_cfg=dict(backend='nccl')),
                       experiment_name: Optional[str] = None,
                       log_level: Optional[str] = None) -> BaseStrategy:
        init_cpu_process_group(launcher, env_cfg)
        if isinstance(strategy, dict) and isinstance(strategy.get('type'),
                                                     str):
            strategy_type = STRATEGIES.get(strategy['type'])
            if strategy_type is None:
                raise KeyError(f'strategy type {strategy["type"]!r} is not '
                               'registered in Clover or MMEngine')
            strategy = dict(strategy, type=strategy_type)
        built = super().build_strategy(strategy, launcher, randomness,
                                       env_cfg, experiment_name, log_level)
        if console_mode(self.cfg) == 'quiet':
            make_console_quiet(built.logger)
        return built
