"""Config handling shared by the command-line tools."""
import argparse
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config, DictAction


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
                work_dir: Optional[str] = None) -> Config:
    """Load a config and apply the tools' common command-line overrides.

    Args:
        path (str): Config file.
        launcher (str): Job launcher (``none``, ``pytorch``, ``slurm``,
            ``mpi``).
        cfg_options (dict, optional): ``--cfg-options`` overrides.
        work_dir (str, optional): ``--work-dir``; the config's own
            ``work_dir`` or ``./work_dirs/<config name>`` otherwise.

    Returns:
        Config: the merged config, with ``filename`` set to ``path``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
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
