"""Build a trained Clover model for inference: ``init_model``."""
import os.path as osp
import re
from typing import Dict, List, Optional, Union

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

# Files of a self-contained model folder (tools/misc/export_model.py).
EXPORT_CONFIG = 'config.py'
EXPORT_WEIGHTS = 'model.safetensors'
EXPORT_META = 'meta.json'
EXPORT_TOKENIZER = 'tokenizer'


class CheckpointMismatchError(ValueError):
    """A checkpoint whose weights do not fit the model of the config."""


def load_model_config(config: Union[str, Config]) -> Config:
    """The config of a ``.py`` file, of an exported model folder (its
    ``config.py``) or a :class:`Config` (copied).

    Raises:
        FileNotFoundError: Naming the path when it is neither.
    """
    if isinstance(config, Config):
        return config.copy()
    config = str(config)
    if osp.isdir(config):
        path = osp.join(config, EXPORT_CONFIG)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{config} is a directory without {EXPORT_CONFIG}: give a '
                'config file or a folder written by '
                'tools/misc/export_model.py')
        return Config.fromfile(path)
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    return Config.fromfile(config)


def read_checkpoint(checkpoint: str) -> Dict:
    """The weights and meta information of a checkpoint file.

    Args:
        checkpoint (str): An MMEngine ``.pth`` checkpoint (read with
            ``weights_only=True``) or a ``.safetensors`` file; the meta of the
            latter is read from ``meta.json`` next to it when present.

    Returns:
        dict: ``state_dict`` (name -> tensor, DDP prefixes stripped) and
        ``meta`` (dict, possibly empty).
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    if checkpoint.endswith('.safetensors'):
        import json

        from safetensors.torch import load_file
        state = load_file(checkpoint)
        meta_path = osp.join(osp.dirname(checkpoint), EXPORT_META)
        meta = {}
        if osp.isfile(meta_path):
            with open(meta_path) as file:
                meta = json.load(file)
    else:
        # Allow-lists the non-tensor types MMEngine checkpoints hold.
        import clover.engine  # noqa: F401
        loaded = torch.load(checkpoint, map_location='cpu', weights_only=True)
        state = loaded.get('state_dict', loaded)
        meta = loaded.get('meta', {}) or {}
    state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
    return dict(state_dict=state, meta=meta)


def compare_state_dicts(
        model: torch.nn.Module,
        state: Dict[str, torch.Tensor]) -> Dict[str, List[str]]:
    """Keys of ``state`` against the model's: ``missing`` (model only),
    ``unexpected`` (checkpoint only) and ``mismatched`` (shapes differ)."""
    own = model.state_dict()
    return dict(
        missing=[k for k in own if k not in state],
        unexpected=[k for k in state if k not in own],
        mismatched=[
            f'{k} (checkpoint {tuple(v.shape)}, model '
            f'{tuple(own[k].shape)})' for k, v in state.items()
            if k in own and tuple(v.shape) != tuple(own[k].shape)
        ])


def _key_list(keys: List[str], limit: int = 8) -> str:
    shown = ', '.join(keys[:limit])
    return shown + (f' ... ({len(keys)} in all)' if len(keys) > limit else '')


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu') -> torch.nn.Module:
    """Build the model of ``config`` with the weights of ``checkpoint``, in
    eval mode on ``device``.

    Every weight of the model must come from the checkpoint: missing keys or
    differently shaped ones raise an error naming them (a checkpoint of
    another config). Keys only in the checkpoint are ignored (a
    pre-training checkpoint tested zero-shot carries fusion and MLM
    weights). No pre-trained initialisation runs (``init_weights`` is not
    called): the checkpoint alone gives the weights.

    Args:
        config (str or Config): A config file, a :class:`Config`, or a
            folder written by ``tools/misc/export_model.py`` (then
            ``checkpoint`` defaults to its ``model.safetensors``).
        checkpoint (str, optional): A ``.pth`` or ``.safetensors`` file.
            None leaves the model at its random initialisation (with a
            warning), unless ``config`` is an exported folder.
        device (str): Defaults to ``'cpu'``.

    Returns:
        nn.Module: The model, with ``cfg`` (the config) and ``dataset_meta``
        (the training dataset's meta information saved in the checkpoint,
        e.g. ``answer_vocab`` of a QA model; ``{}`` without one).

    Raises:
        CheckpointMismatchError: If the checkpoint lacks weights of the
            model or holds them with other shapes.
    """
    import clover.datasets  # noqa: F401  (registers the modules)
    import clover.evaluation  # noqa: F401
    import clover.models  # noqa: F401
    from clover.registry import MODELS

    if checkpoint is None and isinstance(config, str) and osp.isfile(
            osp.join(config, EXPORT_WEIGHTS)):
        checkpoint = osp.join(config, EXPORT_WEIGHTS)
    cfg = load_model_config(config)
    init_default_scope(cfg.get('default_scope', 'clover'))
    model = MODELS.build(cfg.model)
    meta = {}
    if checkpoint is None:
        import warnings
        warnings.warn('init_model: no checkpoint, the model keeps its '
                      'random initialisation')
    else:
        loaded = read_checkpoint(checkpoint)
        report = compare_state_dicts(model, loaded['state_dict'])
        if report['missing'] or report['mismatched']:
            lines = [f'checkpoint {checkpoint} does not match the model of '
                     f'{cfg.filename or "the config"}:']
            if report['missing']:
                lines.append(f'  missing keys: {_key_list(report["missing"])}')
            if report['mismatched']:
                lines.append('  shape mismatch: '
                             f'{_key_list(report["mismatched"])}')
            lines.append('  (was it trained with this config?)')
            raise CheckpointMismatchError('\n'.join(lines))
        model.load_state_dict(loaded['state_dict'], strict=False)
        meta = loaded['meta']
    model.cfg = cfg
    model.dataset_meta = dict(meta.get('dataset_meta') or {})
    model.checkpoint = checkpoint
    return model.to(device).eval()
