"""Load Video Swin checkpoints of several layouts into ``SwinTransformer3D``.

Layouts read:

- the official Video Swin release: ``{'state_dict': {'backbone.<key>', ...,
  'cls_head.<key>', ...}}`` with the final LayerNorm named ``norm``;
- Clover's ``*_nobackbone.pth``: the same keys without the ``backbone.``
  prefix and without the head;
- mmaction2 1.x: ``backbone.`` prefix, the final LayerNorm named
  ``norm<i>`` after the index of the output stage (``norm3`` for 4 stages).

Parameter names below the prefix are the same in all three (``patch_embed``,
``layers.<i>.blocks.<j>.{norm1,attn,norm2,mlp}``, ``layers.<i>.downsample``).
"""
import os.path as osp
import pickle
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Tuple

import torch
import torch.nn as nn
from mmengine.logging import MMLogger

BACKBONE_PREFIX = 'backbone.'
# Wrappers that training frameworks put in front of every key.
WRAPPER_PREFIXES = ('module.', )
# Buffers the model derives from its configuration and never loads.
DERIVED_BUFFER_SUFFIXES = ('relative_position_index', 'attn_mask')


@dataclass
class SwinCheckpointReport:
    """What a checkpoint load did, key names in the model's naming.

    Attributes:
        path (str): The checkpoint file.
        loaded (list[str]): Keys copied into the model.
        missing (list[str]): Model keys the checkpoint lacks (left at their
            initial values).
        unexpected (list[str]): Backbone keys the model does not have.
        skipped (list[str]): Checkpoint keys ignored on purpose, in the
            checkpoint's naming: heads (``cls_head.*``) and other non-backbone
            keys, and buffers the model derives itself.
    """
    path: str
    loaded: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)

    def summary(self) -> str:
        """A multi-line, human-readable account of the load."""

        def listing(keys: List[str]) -> str:
            return ', '.join(keys) if keys else 'none'

        return (f'Loaded {len(self.loaded)} tensors from {self.path}\n'
                f'  missing keys (kept at init): {listing(self.missing)}\n'
                f'  unexpected keys (ignored): {listing(self.unexpected)}\n'
                f'  skipped keys (heads, derived buffers): '
                f'{listing(self.skipped)}')


def read_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """Read the tensors of a checkpoint file with ``weights_only=True``.

    Args:
        path (str): A ``.pth`` file holding either a plain state dict or a
            dict with a ``state_dict`` (mmengine, official Video Swin) or
            ``model`` entry.

    Returns:
        dict[str, torch.Tensor]: The state dict, on CPU.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'SwinTransformer3D: pretrained checkpoint not found: {path}')
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as error:
        raise RuntimeError(
            f'SwinTransformer3D: {path} holds objects other than tensors and '
            'plain containers, which weights_only loading refuses. Save only '
            "its weights, e.g. torch.save({'state_dict': ckpt['state_dict']},"
            f' ...), and load that file. Cause: {error}') from error
    if not isinstance(checkpoint, Mapping):
        raise TypeError(f'SwinTransformer3D: {path} holds a '
                        f'{type(checkpoint).__name__}, expected a dict')
    for container in ('state_dict', 'model'):
        if isinstance(checkpoint.get(container), Mapping):
            checkpoint = checkpoint[container]
            break
    bad = [k for k, v in checkpoint.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise TypeError(f'SwinTransformer3D: {path} has non-tensor entries '
                        f'{bad[:5]} where a state dict was expected')
    return dict(checkpoint)


def convert_to_swin3d_keys(
        state_dict: Mapping[str, torch.Tensor],
        num_stages: int) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """Rename checkpoint keys to ``SwinTransformer3D`` names.

    Args:
        state_dict (Mapping[str, torch.Tensor]): Checkpoint tensors in any of
            the layouts of this module.
        num_stages (int): Stages of the target model; mmaction2 1.x names the
            final norm ``norm<num_stages - 1>``.

    Returns:
        tuple: ``(converted, skipped)``, the renamed backbone tensors and the
        original names of the keys left out on purpose.
    """
    mmaction_final_norm = f'norm{num_stages - 1}.'
    has_backbone_prefix = any(
        _strip_wrappers(k).startswith(BACKBONE_PREFIX) for k in state_dict)
    converted, skipped = {}, []
    for original_key, value in state_dict.items():
        key = _strip_wrappers(original_key)
        if has_backbone_prefix:
            if not key.startswith(BACKBONE_PREFIX):
                skipped.append(original_key)  # cls_head.*, necks, ...
                continue
            key = key[len(BACKBONE_PREFIX):]
        elif key.startswith('cls_head.'):
            skipped.append(original_key)
            continue
        if key.endswith(DERIVED_BUFFER_SUFFIXES):
            skipped.append(original_key)
            continue
        if key.startswith(mmaction_final_norm):
            key = 'norm.' + key[len(mmaction_final_norm):]
        if key in converted:
            raise ValueError(f'SwinTransformer3D: checkpoint keys map twice '
                             f'onto {key!r} (e.g. both norm and '
                             f'{mmaction_final_norm[:-1]} are present)')
        converted[key] = value
    return converted, skipped


def _strip_wrappers(key: str) -> str:
    for prefix in WRAPPER_PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix):]
    return key


def load_swin3d_checkpoint(model: nn.Module,
                           path: str) -> SwinCheckpointReport:
    """Load a Video Swin checkpoint into ``model`` non-strictly and log a
    report of the keys that did not match.

    Args:
        model (nn.Module): A ``SwinTransformer3D``.
        path (str): Checkpoint file in one of the layouts of this module.

    Returns:
        SwinCheckpointReport: What was loaded, missing, unexpected, skipped.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: A tensor's shape differs from the model's (e.g. a bias
            table for another window size); names the key and both shapes.
    """
    converted, skipped = convert_to_swin3d_keys(
        read_state_dict(path), model.num_stages)
    own_state = model.state_dict()
    for key, value in converted.items():
        if key in own_state and own_state[key].shape != value.shape:
            raise ValueError(
                f'SwinTransformer3D: {path}: {key!r} has shape '
                f'{tuple(value.shape)} in the checkpoint but '
                f'{tuple(own_state[key].shape)} in the model (different '
                'arch, patch size or window size?)')
    result = model.load_state_dict(converted, strict=False)
    report = SwinCheckpointReport(
        path=path,
        loaded=[k for k in converted if k in own_state],
        missing=list(result.missing_keys),
        unexpected=list(result.unexpected_keys),
        skipped=skipped)
    logger = MMLogger.get_current_instance()
    logger.info(report.summary())
    if report.missing or report.unexpected:
        logger.warning(
            f'SwinTransformer3D: {path} matched the model partially: '
            f'{len(report.missing)} missing, {len(report.unexpected)} '
            'unexpected keys (see the report above)')
    return report
