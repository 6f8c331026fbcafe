"""Config handling shared by the command-line tools."""
import argparse
import importlib.util
import os
import os.path as osp
import re
from collections import Counter
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.model import is_model_wrapper


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Add the options that ``tools/train.py`` and ``tools/test.py`` share:
    ``--work-dir``, ``--cfg-options``, ``--launcher`` and ``--local-rank``."""
    parser.add_argument(
        '--work-dir', help='where logs, checkpoints and results go '
        '(default: ./work_dirs/<config name>)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. train_cfg.max_epochs=2')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--verbose',
        action='store_true',
        help="MMEngine's full console log (console_mode='verbose') instead "
        'of progress bars and metrics; the log file has everything anyway')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_tool_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse the command line; export ``LOCAL_RANK`` for old launchers that
    pass ``--local-rank`` instead of setting it."""
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_config(path: str,
                launcher: str = 'none',
                cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None,
                verbose: bool = False) -> Config:
    """Load a config and apply the tools' common command-line overrides.

    Args:
        path (str): Config file.
        launcher (str): Job launcher (``none``, ``pytorch``, ``slurm``,
            ``mpi``).
        cfg_options (dict, optional): ``--cfg-options`` overrides.
        work_dir (str, optional): ``--work-dir``; the config's own
            ``work_dir`` or ``./work_dirs/<config name>`` otherwise.
        verbose (bool): ``--verbose``: set ``console_mode='verbose'``.

    Returns:
        Config: the merged config, with ``filename`` set to ``path``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if verbose:
        cfg.console_mode = 'verbose'
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(path))[0])
    return cfg


def deepspeed_settings(optim_wrapper: dict, filename: str
                       ) -> Tuple[dict, dict]:
    """Translate an ``optim_wrapper`` config for DeepSpeed, which owns the
    precision, the loss scale, the gradient clipping and accumulation.

    Args:
        optim_wrapper (dict): An ``OptimWrapper`` or ``AmpOptimWrapper``
            config (``optimizer``, ``paramwise_cfg``, ``clip_grad``,
            ``dtype``, ``loss_scale``, ``accumulative_counts``).
        filename (str): The config file, named in errors.

    Returns:
        tuple[dict, dict]: The ``DeepSpeedOptimWrapper`` config (optimizer,
        parameter groups, constructor) and the ``DeepSpeedStrategy``
        arguments it implies (``fp16`` / ``bf16``, ``gradient_clipping``,
        ``gradient_accumulation_steps``).
    """
    wrapper = dict(optim_wrapper)
    wrapper_type = wrapper.pop('type', 'OptimWrapper')
    strategy = {}
    if wrapper_type == 'AmpOptimWrapper':
        dtype = wrapper.pop('dtype', None) or 'float16'
        loss_scale = wrapper.pop('loss_scale', 'dynamic')
        if dtype == 'bfloat16':
            strategy['bf16'] = dict(enabled=True)
        elif dtype == 'float16' and loss_scale == 'dynamic':
            strategy['fp16'] = dict(enabled=True, loss_scale=0)
        elif dtype == 'float16' and isinstance(loss_scale, (int, float)):
            strategy['fp16'] = dict(enabled=True, loss_scale=loss_scale)
        else:
            raise ValueError(
                f'config {filename}: optim_wrapper dtype={dtype!r} with '
                f'loss_scale={loss_scale!r} has no DeepSpeed equivalent; use '
                "dtype 'bfloat16', or 'float16' with a dynamic or fixed "
                'loss scale.')
    elif wrapper_type not in ('OptimWrapper', 'DeepSpeedOptimWrapper'):
        raise ValueError(f'config {filename}: optim_wrapper type '
                         f'{wrapper_type!r} cannot run under DeepSpeed.')
    clip_grad = wrapper.pop('clip_grad', None)
    if clip_grad:
        if set(clip_grad) - {'max_norm', 'norm_type'} or \
                clip_grad.get('norm_type', 2) != 2:
            raise ValueError(
                f'config {filename}: DeepSpeed clips the L2 gradient norm '
                f'only (optim_wrapper.clip_grad.max_norm), got {clip_grad}.')
        strategy['gradient_clipping'] = clip_grad['max_norm']
    accumulation = wrapper.pop('accumulative_counts', 1)
    if accumulation != 1:
        strategy['gradient_accumulation_steps'] = accumulation
    wrapper['type'] = 'DeepSpeedOptimWrapper'
    return wrapper, strategy


def prepare_strategy(cfg: Config) -> None:
    """Make a config that sets ``strategy`` run under MMEngine's
    FlexibleRunner, in place.

    The default ``runner_type`` (``CloverRunner``) becomes
    ``CloverFlexibleRunner``. For ``DeepSpeedStrategy`` the deepspeed
    package must be importable, and the optim wrapper's precision and
    clipping move into the strategy (:func:`deepspeed_settings`); settings
    the strategy gives explicitly win. Configs without ``strategy`` are
    left as they are.

    Raises:
        ImportError: DeepSpeed is asked for but not installed.
    """
    strategy = cfg.get('strategy')
    if strategy is None:
        return
    if cfg.get('runner_type', 'CloverRunner') == 'CloverRunner':
        cfg.runner_type = 'CloverFlexibleRunner'
    if strategy.get('type') != 'DeepSpeedStrategy':
        return
    if importlib.util.find_spec('deepspeed') is None:
        raise ImportError(
            f'config {cfg.filename}: strategy DeepSpeedStrategy needs the '
            'deepspeed package, which is not installed (pip install '
            'deepspeed).')
    cfg.optim_wrapper, implied = deepspeed_settings(cfg.optim_wrapper,
                                                    cfg.filename)
    for key, value in implied.items():
        strategy.setdefault(key, value)


def build_runner(cfg: Config):
    """Build the runner that ``cfg`` names (``runner_type``, else
    MMEngine's), re-raising build errors with the config file named.

    A config with a ``strategy`` (``configs/_base_/strategies/``) is built
    by ``CloverFlexibleRunner`` (:func:`prepare_strategy`).

    A misspelt or unknown key inside a component (``model.video_encoder.
    windw_size``) fails while the runner builds its parts; the message then
    says which config file to fix.
    """
    # Importing clover.engine registers the runner and allow-lists the
    # types MMEngine checkpoints hold (torch.load weights_only=True).
    import clover.engine  # noqa: F401
    from mmengine.runner import Runner

    from clover.registry import RUNNERS
    prepare_strategy(cfg)
    try:
        if 'runner_type' in cfg:
            return RUNNERS.build(cfg)
        return Runner.from_cfg(cfg)
    except (TypeError, KeyError, ValueError) as err:
        raise RuntimeError(f'cannot build from config {cfg.filename}: '
                           f'{type(err).__name__}: {err}') from err


def _summarise_keys(keys: List[str]) -> str:
    """``'fusion.* (120), video_encoder.mask_token'``: keys grouped by their
    first component, a group of one shown in full."""
    groups = Counter(key.split('.', 1)[0] for key in keys)
    parts = []
    for prefix, count in groups.items():
        if count == 1:
            parts.append(next(k for k in keys if k.split('.', 1)[0] == prefix))
        else:
            parts.append(f'{prefix}.* ({count})')
    return ', '.join(parts)


def checkpoint_key_report(model: torch.nn.Module,
                          checkpoint: str) -> Dict[str, List[str]]:
    """Compare the weights of ``checkpoint`` with ``model`` the way a
    non-strict load (MMEngine's ``load_from``) will use them.

    Args:
        model (nn.Module): The model (a DDP wrapper is unwrapped).
        checkpoint (str): A local checkpoint file; its ``state_dict`` (or the
            whole file) maps parameter names to tensors.

    Returns:
        dict[str, list[str]]: ``loaded``, ``unexpected`` (in the checkpoint
        only), ``missing`` (in the model only) and ``mismatched`` (in both,
        with different shapes; not loaded) keys, each in checkpoint or model
        order.
    """
    if is_model_wrapper(model):
        model = model.module
    # Memory-mapped: only the key names and shapes are read here.
    state = torch.load(
        checkpoint, map_location='cpu', weights_only=True, mmap=True)
    state = state.get('state_dict', state)
    # DDP-saved names, as MMEngine's loader strips them.
    state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
    own = model.state_dict()
    mismatched = [
        k for k, v in state.items()
        if k in own and tuple(v.shape) != tuple(own[k].shape)
    ]
    return dict(
        loaded=[k for k in state if k in own and k not in mismatched],
        unexpected=[k for k in state if k not in own],
        missing=[k for k in own if k not in state],
        mismatched=mismatched)


def format_key_report(report: Dict[str, List[str]], checkpoint: str) -> str:
    """A few lines on what a non-strict load of ``checkpoint`` keeps and
    drops, keys grouped by module (see :func:`checkpoint_key_report`)."""
    loaded = len(report['loaded'])
    total = loaded + len(report['unexpected']) + len(report['mismatched'])
    lines = [f'Checkpoint {checkpoint}: {loaded} of {total} tensors match '
             'the model']
    for name, meaning in (
        ('unexpected', 'in the checkpoint only, ignored'),
        ('missing', 'in the model only, left at their initial values'),
        ('mismatched', 'shapes differ, left at their initial values'),
    ):
        keys = report[name]
        if keys:
            lines.append(f'  {len(keys)} {name} keys ({meaning}): '
                         f'{_summarise_keys(keys)}')
    return '\n'.join(lines)
