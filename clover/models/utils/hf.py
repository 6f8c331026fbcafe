"""Loading local HuggingFace BERT directories (text encoder, fusion encoder
and MLM head share these checks)."""
import os.path as osp
from typing import List, Tuple

import torch
from transformers import BertConfig
from transformers.utils import logging as hf_logging

# Any one of these files holds the weights of a HF model directory.
WEIGHT_FILES = ('model.safetensors', 'model.safetensors.index.json',
                'pytorch_model.bin', 'pytorch_model.bin.index.json')


def check_pretrained_dir(path: str) -> None:
    """Fail early, naming the path, when a local BERT directory is unusable.

    Args:
        path (str): A HuggingFace model directory.

    Raises:
        FileNotFoundError: If the directory, its ``config.json`` or its
            weights are missing.
    """
    if not osp.isdir(path):
        raise FileNotFoundError(
            f'BERT directory {path!r} does not exist (pretrained must be a '
            'local HuggingFace model directory; the hub is never queried).')
    if not osp.isfile(osp.join(path, 'config.json')):
        raise FileNotFoundError(
            f'BERT directory {path!r} has no config.json.')
    if not any(osp.isfile(osp.join(path, name)) for name in WEIGHT_FILES):
        raise FileNotFoundError(
            f'BERT directory {path!r} has no weights (expected one of '
            f'{", ".join(WEIGHT_FILES)}).')


def load_pretrained_quietly(model_cls, path: str, bert_config: BertConfig,
                            **kwargs) -> Tuple[torch.nn.Module, List[str],
                                               List[str]]:
    """``model_cls.from_pretrained(path)`` from local files only, with HF's
    load report silenced: callers check the keys that matter to them.

    Args:
        model_cls: A transformers model class (``BertModel``, ...).
        path (str): Local HF directory.
        bert_config (BertConfig): Config to build the model with.
        **kwargs: More ``from_pretrained`` arguments.

    Returns:
        tuple: The model, the sorted keys the file lacks or holds with a
        wrong shape, and the sorted keys of the file the model does not use.
    """
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        model, info = model_cls.from_pretrained(
            path,
            config=bert_config,
            local_files_only=True,
            output_loading_info=True,
            **kwargs)
    finally:
        hf_logging.set_verbosity(verbosity)
    absent = set(info['missing_keys']).union(
        key for key, *_ in info['mismatched_keys'])
    return model, sorted(absent), sorted(info['unexpected_keys'])


ATTN_IMPLS = {'sdpa': 'sdpa', 'manual': 'eager'}


def set_attn_impl(bert_config: BertConfig, attn_impl: str,
                  owner: str) -> None:
    """Choose the attention kernel of the BERT layers built from
    ``bert_config``: ``'sdpa'`` (``F.scaled_dot_product_attention``, a fused
    kernel where the device has one) or ``'manual'`` (softmax of the score
    matrix, transformers' ``'eager'``); both compute the same attention.

    Args:
        bert_config (BertConfig): Modified in place.
        attn_impl (str): ``'sdpa'`` or ``'manual'``.
        owner (str): Module name for the error message.
    """
    if attn_impl not in ATTN_IMPLS:
        raise ValueError(f"{owner}: attn_impl must be 'sdpa' or 'manual', "
                         f'got {attn_impl!r}.')
    bert_config._attn_implementation = ATTN_IMPLS[attn_impl]
