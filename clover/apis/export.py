"""Export a trained model into one self-contained folder: its config, its
tokenizer files and its weights as safetensors. ``init_model(folder)``
loads it on a machine that has neither the BERT directory nor the Swin
initialisation the model was trained from."""
import json
import os
import os.path as osp
import shutil
from typing import Dict, List

import torch
from mmengine.config import Config

from .model import EXPORT_CONFIG, EXPORT_META, EXPORT_TOKENIZER
from .model import EXPORT_WEIGHTS

# Files of a HuggingFace tokenizer directory worth carrying.
TOKENIZER_FILES = ('vocab.txt', 'tokenizer.json', 'tokenizer_config.json',
                   'special_tokens_map.json')
# Replaced by MMEngine with the folder of the config file when it is read,
# so the folder can move.
FOLDER_VAR = '{{ fileDirname }}'


def _bert_config(path: str) -> dict:
    """The ``BertConfig`` keyword arguments of a local HF directory."""
    from transformers import BertConfig
    config = BertConfig.from_pretrained(path, local_files_only=True)
    kwargs = config.to_diff_dict()
    for key in ('transformers_version', '_name_or_path', 'architectures',
                'model_type'):
        kwargs.pop(key, None)
    return kwargs


def detach_pretrained(node, where: str = 'model') -> List[str]:
    """Make a model config build without any pre-trained file, in place.

    A ``pretrained`` HF directory (BERT text encoder, fusion, MLM head)
    becomes ``config=`` with the directory's architecture, so the same
    modules are built with random weights for the checkpoint to fill; any
    other ``pretrained`` (a backbone checkpoint) becomes None and
    ``Pretrained`` init configs are dropped.

    Returns:
        list[str]: What was changed, one line per key (for the log).
    """
    changes = []
    if isinstance(node, dict):
        pretrained = node.get('pretrained')
        if isinstance(pretrained, str):
            if osp.isfile(osp.join(pretrained, 'config.json')):
                node['config'] = _bert_config(pretrained)
                del node['pretrained']
                changes.append(f'{where}.pretrained={pretrained!r} -> '
                               'config (architecture of its config.json)')
            else:
                node['pretrained'] = None
                changes.append(f'{where}.pretrained={pretrained!r} -> None')
        init_cfg = node.get('init_cfg')
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            node['init_cfg'] = None
            changes.append(f'{where}.init_cfg (Pretrained) -> None')
        for key, value in node.items():
            changes += detach_pretrained(value, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            changes += detach_pretrained(value, f'{where}[{index}]')
    return changes


def _tokenize_steps(cfg: Config) -> List[dict]:
    steps = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        pipeline = cfg.get(loader, {}).get('dataset', {}).get('pipeline', [])
        steps += [s for s in pipeline if s.get('type') == 'TokenizeText']
    return steps


def copy_tokenizers(cfg: Config, out_dir: str) -> Dict[str, str]:
    """Copy every tokenizer directory the pipelines use into ``out_dir``.

    Returns:
        dict[str, str]: Original directory -> name of its copy in
        ``out_dir`` (``tokenizer``, then ``tokenizer_1``...).
    """
    copies: Dict[str, str] = {}
    for step in _tokenize_steps(cfg):
        tokenizer = step['tokenizer']
        path = tokenizer if isinstance(tokenizer, str) else tokenizer['path']
        if path in copies:
            continue
        files = [f for f in TOKENIZER_FILES if osp.isfile(osp.join(path, f))]
        if not files:
            raise FileNotFoundError(
                f'tokenizer directory {path} has none of {TOKENIZER_FILES}')
        name = EXPORT_TOKENIZER + (f'_{len(copies)}' if copies else '')
        os.makedirs(osp.join(out_dir, name), exist_ok=True)
        for file in files:
            shutil.copy(osp.join(path, file), osp.join(out_dir, name))
        copies[path] = name
    return copies


def export_model(model: torch.nn.Module, out_dir: str) -> List[str]:
    """Write ``config.py``, the tokenizer(s), ``model.safetensors`` and
    ``meta.json`` (dataset meta, e.g. the answer vocabulary) of a model
    from :func:`~clover.apis.init_model` into ``out_dir``.

    Returns:
        list[str]: The config changes made (pre-trained paths detached,
        tokenizers redirected).
    """
    from safetensors.torch import save_file

    os.makedirs(out_dir, exist_ok=True)
    cfg = model.cfg.copy()
    changes = detach_pretrained(cfg.model)
    copies = copy_tokenizers(cfg, out_dir)
    changes += [f'tokenizer {src} -> {name}' for src, name in copies.items()]
    cfg.load_from = None
    cfg.resume = False
    config_path = osp.join(out_dir, EXPORT_CONFIG)
    cfg.dump(config_path)
    with open(config_path) as file:
        text = file.read()
    # Every mention (the pipelines and the variables they came from).
    for src, name in copies.items():
        text = text.replace(repr(src), repr(f'{FOLDER_VAR}/{name}'))
    with open(config_path, 'w') as file:
        file.write(text)
    # Clones: safetensors refuses tensors that share memory (tied weights).
    state = {
        key: value.detach().cpu().clone().contiguous()
        for key, value in model.state_dict().items()
    }
    save_file(state, osp.join(out_dir, EXPORT_WEIGHTS))
    with open(osp.join(out_dir, EXPORT_META), 'w') as file:
        json.dump(
            dict(
                dataset_meta=getattr(model, 'dataset_meta', {}),
                source_checkpoint=getattr(model, 'checkpoint', None)),
            file,
            indent=1,
            default=str)
    return changes
