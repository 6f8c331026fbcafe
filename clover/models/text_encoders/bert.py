"""A HuggingFace BERT wrapped as an MMEngine module (Clover's text encoder)."""
from typing import List, Optional

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule
from transformers import BertConfig, BertModel

from clover.registry import MODELS
from ..utils.hf import (check_pretrained_dir, load_pretrained_quietly,
                        set_attn_impl)


@MODELS.register_module()
class BertTextEncoder(BaseModule):
    """BERT text encoder returning the last hidden states of all tokens.

    Clover calls ``bert(input_ids, attention_mask)`` without token type ids
    (so they default to 0) and takes the hidden state at [CLS] as the text
    representation. The pooler is not built: nothing uses it, and unused
    parameters break DDP with ``find_unused_parameters=False``.

    Args:
        pretrained (str, optional): A local HuggingFace BERT directory with
            ``config.json`` and weights. Exactly one of ``pretrained`` and
            ``config`` must be given.
        config (dict, optional): Keyword arguments of
            ``transformers.BertConfig`` for a randomly initialised BERT.
        pooling (str): How :meth:`pool` summarises the tokens: ``'cls'`` (the
            hidden state at [CLS], Clover's choice) or ``'mean'`` (mean of the
            non-padding tokens; a randomly initialised BERT's [CLS] collapses
            under contrastive training, the mean does not).
            Defaults to ``'cls'``.
        with_cp (bool): Use non-reentrant activation checkpointing on the
            BERT layers (active in training mode only). Defaults to False.
        num_layers (int, optional): Keep only the first ``num_layers`` layers.
            Defaults to None (all layers).
        frozen_layers (int): Freeze the embeddings and the first
            ``frozen_layers`` layers (no gradients, dropout off); -1 freezes
            the whole encoder. Defaults to 0 (nothing frozen).
        attn_impl (str): ``'sdpa'`` or ``'manual'`` attention (see
            :func:`set_attn_impl`). Defaults to ``'sdpa'``.
        init_cfg (dict or list[dict], optional): MMEngine initialisation
            config; only allowed without ``pretrained``, whose weights it
            would overwrite. Defaults to None.
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 config: Optional[dict] = None,
                 pooling: str = 'cls',
                 with_cp: bool = False,
                 num_layers: Optional[int] = None,
                 frozen_layers: int = 0,
                 attn_impl: str = 'sdpa',
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if (pretrained is None) == (config is None):
            raise ValueError('BertTextEncoder needs exactly one of '
                             f'pretrained (got {pretrained!r}) and config '
                             f'(got {config!r}).')
        if pretrained is not None and init_cfg is not None:
            raise ValueError(
                'BertTextEncoder: init_cfg would overwrite the weights loaded '
                f'from pretrained={pretrained!r}; give only one of them.')
        if pooling not in ('cls', 'mean'):
            raise ValueError("BertTextEncoder: pooling must be 'cls' or "
                             f"'mean', got {pooling!r}.")
        self.pretrained = pretrained
        self.pooling = pooling
        self.with_cp = with_cp

        if pretrained is not None:
            check_pretrained_dir(pretrained)
            bert_config = BertConfig.from_pretrained(
                pretrained, local_files_only=True)
        else:
            bert_config = BertConfig(**config)
        if num_layers is not None:
            if not 1 <= num_layers <= bert_config.num_hidden_layers:
                raise ValueError(
                    f'BertTextEncoder: num_layers={num_layers} is outside '
                    f'[1, {bert_config.num_hidden_layers}] (the layers of '
                    f'{pretrained or "config"}).')
            bert_config.num_hidden_layers = num_layers
        set_attn_impl(bert_config, attn_impl, 'BertTextEncoder')

        if pretrained is not None:
            self.bert = self._load_pretrained(pretrained, bert_config)
        else:
            self.bert = BertModel(bert_config, add_pooling_layer=False)
        if with_cp:
            self._enable_checkpointing()
        self.frozen_modules = self._frozen_modules(frozen_layers)
        for module in self.frozen_modules:
            module.requires_grad_(False)

    @staticmethod
    def _load_pretrained(path: str, bert_config: BertConfig) -> BertModel:
        """Load the weights of ``path`` into a BERT built from
        ``bert_config``; every parameter must come from the file."""
        bert, missing, unexpected = load_pretrained_quietly(
            BertModel, path, bert_config, add_pooling_layer=False)
        if missing:
            raise RuntimeError(
                f'BERT directory {path!r} lacks (or has wrongly shaped) '
                f'weights for: {", ".join(missing)}.')
        if unexpected:
            print_log(
                f'BertTextEncoder: ignored {len(unexpected)} '
                f'weights of {path} not used by this model (pooler, heads '
                'or layers beyond num_layers).',
                logger='current')
        return bert

    def _frozen_modules(self, frozen_layers: int) -> List[nn.Module]:
        layers = self.bert.encoder.layer
        if frozen_layers == -1:
            frozen_layers = len(layers)
        if not 0 <= frozen_layers <= len(layers):
            raise ValueError(
                f'BertTextEncoder: frozen_layers={frozen_layers} is outside '
                f'[-1, {len(layers)}].')
        if frozen_layers == 0:
            return []
        return [self.bert.embeddings, *layers[:frozen_layers]]

    def train(self, mode: bool = True) -> 'BertTextEncoder':
        """Set the training mode, keeping frozen modules in eval mode."""
        super().train(mode)
        for module in self.frozen_modules:
            module.eval()
        return self

    def _enable_checkpointing(self) -> None:
        """Turn on non-reentrant checkpointing through HF's own switch."""
        # transformers 5 renamed the switch; 4.x only has the old name.
        enable = getattr(self.bert, 'activation_checkpointing_enable', None)
        if enable is None:
            enable = self.bert.gradient_checkpointing_enable
        enable({'use_reentrant': False})

    @property
    def out_channels(self) -> int:
        """Width of the hidden states (the BERT hidden size)."""
        return self.bert.config.hidden_size

    def init_weights(self) -> None:
        """Initialise the weights without touching pretrained ones.

        With ``pretrained`` the weights were loaded at construction and this
        is a no-op: ``BaseModule.init_weights`` would otherwise call the HF
        model's own ``init_weights``. Without it, ``init_cfg`` (if any) is
        applied on top of HF's initialisation.
        """
        if self.pretrained is not None:
            self._is_init = True
            return
        super().init_weights()

    def forward(self, input_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> torch.Tensor:
        """Encode token ids.

        Args:
            input_ids (Tensor): ``(N, L)`` token ids, [CLS] first.
            attention_mask (Tensor): ``(N, L)`` 1 for real tokens, 0 for
                padding.

        Returns:
            Tensor: ``(N, L, D)`` last hidden states.
        """
        return self.bert(
            input_ids=input_ids,
            attention_mask=attention_mask).last_hidden_state

    def pool(self, hidden: torch.Tensor,
             attention_mask: torch.Tensor) -> torch.Tensor:
        """Summarise each text by the configured pooling.

        Args:
            hidden (Tensor): ``(N, L, D)`` hidden states from :meth:`forward`.
            attention_mask (Tensor): ``(N, L)`` 1 for real tokens.

        Returns:
            Tensor: ``(N, D)`` one vector per text.
        """
        if self.pooling == 'cls':
            return hidden[:, 0]
        weights = attention_mask.to(hidden.dtype).unsqueeze(-1)
        # clamp: an all-padding row gives zeros instead of NaN.
        return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
