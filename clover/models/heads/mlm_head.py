"""BERT's masked-language-modelling prediction head, untied from any
embedding table (Clover's ``MLMHead``)."""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule
from transformers import BertConfig, BertForMaskedLM
from transformers.models.bert.modeling_bert import BertPredictionHeadTransform

from clover.models.utils.hf import (check_pretrained_dir,
                                    load_pretrained_quietly)
from clover.registry import MODELS

# The head's own weights in a HF BERT file. The decoder weight is not listed:
# HF ties it to the word embeddings, and its bias is ``cls.predictions.bias``.
HEAD_KEYS = ('cls.predictions.bias', 'cls.predictions.transform.dense.weight',
             'cls.predictions.transform.dense.bias',
             'cls.predictions.transform.LayerNorm.weight',
             'cls.predictions.transform.LayerNorm.bias')


@MODELS.register_module()
class MLMHead(BaseModule):
    """``dense -> act -> LayerNorm -> Linear(D, vocab_size)`` with bias.

    Clover copies ``BertForMaskedLM.cls.predictions`` of bert-base-uncased
    into its own module, so the decoder is a separate parameter, not tied to
    the text encoder's (or anyone's) word embeddings. Here too: with
    ``pretrained`` the weights are copied when the file has an MLM head
    (bert-base-uncased has one); a file without one (e.g. sentence-embedding
    models such as MiniLM) leaves the head randomly initialised, and a log
    line says so. Random initialisation is BERT's: normal(0,
    ``initializer_range``) weights, zero biases, LayerNorm 1 / 0.

    Args:
        pretrained (str, optional): A local HuggingFace BERT directory.
            Exactly one of ``pretrained`` and ``config`` must be given.
        config (dict, optional): ``transformers.BertConfig`` keyword
            arguments (``hidden_size``, ``vocab_size``, ``hidden_act``,
            ``layer_norm_eps``, ``initializer_range`` are used).
        init_cfg (dict or list[dict], optional): MMEngine initialisation
            config; not allowed when weights were copied from
            ``pretrained``. Defaults to None.
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 config: Optional[dict] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if (pretrained is None) == (config is None):
            raise ValueError('MLMHead needs exactly one of pretrained (got '
                             f'{pretrained!r}) and config (got {config!r}).')
        if pretrained is not None:
            check_pretrained_dir(pretrained)
            bert_config = BertConfig.from_pretrained(
                pretrained, local_files_only=True)
        else:
            bert_config = BertConfig(**config)
        self.transform = BertPredictionHeadTransform(bert_config)
        self.decoder = nn.Linear(bert_config.hidden_size,
                                 bert_config.vocab_size)

        copied = pretrained is not None and self._copy_pretrained(
            pretrained, bert_config)
        if copied and init_cfg is not None:
            raise ValueError(
                'MLMHead: init_cfg would overwrite the head weights copied '
                f'from pretrained={pretrained!r}; give only one of them.')
        if not copied:
            self._reset_parameters(bert_config.initializer_range)

    @property
    def vocab_size(self) -> int:
        """Number of output logits ``V``."""
        return self.decoder.out_features

    def _reset_parameters(self, std: float) -> None:
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=std)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def _copy_pretrained(self, path: str, bert_config: BertConfig) -> bool:
        """Copy ``cls.predictions`` of ``path`` into this head.

        Returns:
            bool: True when copied, False when the file has no MLM head.

        Raises:
            RuntimeError: If the file has only part of the head.
        """
        model, absent, _ = load_pretrained_quietly(BertForMaskedLM, path,
                                                   bert_config)
        absent_head = [key for key in HEAD_KEYS if key in absent]
        if len(absent_head) == len(HEAD_KEYS):
            print_log(
                f'MLMHead: {path} has no MLM head weights (cls.predictions); '
                'the head starts randomly initialised.',
                logger='current')
            return False
        if absent_head:
            raise RuntimeError(
                f'BERT directory {path!r} has only part of the MLM head: '
                f'missing {", ".join(absent_head)}.')
        predictions = model.cls.predictions
        # load_state_dict copies values, so nothing stays tied to the
        # source model's word embeddings.
        self.transform.load_state_dict(predictions.transform.state_dict())
        self.decoder.load_state_dict(predictions.decoder.state_dict())
        return True

    def forward(self,
                hidden: torch.Tensor,
                positions_mask: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        """Predict vocabulary logits.

        Args:
            hidden (Tensor): ``(N, L, D)`` token hidden states.
            positions_mask (Tensor, optional): ``(N, L)`` bool; when given,
                only the ``M`` selected positions are decoded (row-major
                order), which saves the ``(N, L, V)`` logits' memory.

        Returns:
            Tensor: ``(N, L, V)`` logits, or ``(M, V)`` with
            ``positions_mask``.
        """
        if positions_mask is not None:
            if positions_mask.shape != hidden.shape[:2]:
                raise ValueError(
                    f'MLMHead: positions_mask must be '
                    f'{tuple(hidden.shape[:2])}, got '
                    f'{tuple(positions_mask.shape)}.')
            hidden = hidden[positions_mask.bool()]
        return self.decoder(self.transform(hidden))
