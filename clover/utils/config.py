"""Config handling shared by the command-line tools."""
import argparse
import os
import os.path as osp
import re
from collections import Counter
from typing import Dict, List, Optional

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


def build_runner(cfg: Config):
    """Build the runner that ``cfg`` names (``runner_type``, else
    MMEngine's), re-raising build errors with the config file named.

    A misspelt or unknown key inside a component (``model.video_encoder.
    windw_size``) fails while the runner builds its parts; the message then
    says which config file to fix.
    """
    # Importing clover.engine registers the runner and allow-lists the
    # types MMEngine checkpoints hold (torch.load weights_only=True).
    import clover.engine  # noqa: F401
    from mmengine.runner import Runner

    from clover.registry import RUNNERS
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
