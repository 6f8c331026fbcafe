"""Answer heads of Clover's video question answering models
(``clover_method.md`` §1.4: the official ``QA_OE_Head`` and
``QA_MC_head``)."""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from clover.registry import MODELS


class _AnswerMLP(BaseModule):
    """``Dropout -> Linear -> LN -> GELU -> Linear``, the layout shared by
    both official QA heads.

    Weights are Xavier-uniform with zero biases and unit LayerNorms, as for
    every official head.

    Args:
        in_channels (int): Width of the fused feature.
        hidden_channels (int): Hidden width.
        out_channels (int): Number of outputs.
        dropout (float): Dropout on the input feature.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 out_channels: int,
                 dropout: float,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('in_channels', in_channels),
                            ('hidden_channels', hidden_channels),
                            ('out_channels', out_channels)):
            if value < 1:
                raise ValueError(f'{type(self).__name__}: {name} must be '
                                 f'positive, got {value}.')
        if not 0 <= dropout < 1:
            raise ValueError(f'{type(self).__name__}: dropout must be in '
                             f'[0, 1), got {dropout}.')
        self.in_channels = in_channels
        self.layers = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(in_channels, hidden_channels),
            nn.LayerNorm(hidden_channels),
            nn.GELU(),
            nn.Linear(hidden_channels, out_channels))
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__}: expected features of shape '
                f'(N, {self.in_channels}), got {tuple(x.shape)}.')


@MODELS.register_module()
class OpenEndedQAHead(_AnswerMLP):
    """Classifier over a fixed answer vocabulary (official ``QA_OE_Head``):
    ``Dropout(p) -> Linear(D, D/2) -> LN -> GELU -> Linear(D/2, A)``.

    Used on the fused [CLS] (open-ended QA) or on the fused hidden state at
    the ``[MASK]`` token (fill-in-the-blank).

    Args:
        in_channels (int): Width ``D`` of the fused feature (768 for
            BERT-base).
        num_answers (int): Answer vocabulary size ``A`` (MSRVTT-QA 1500,
            MSVD-QA 1000, TGIF-FrameQA 1540, LSMDC-FiB 908).
        hidden_channels (int, optional): Hidden width. Defaults to
            ``in_channels // 2`` (384 for D = 768, as official).
        dropout (float): Input dropout: 0.1 for MSRVTT-QA / TGIF-FrameQA,
            0.5 for MSVD-QA / LSMDC-FiB. Defaults to 0.1.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 in_channels: int,
                 num_answers: int,
                 hidden_channels: Optional[int] = None,
                 dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        if hidden_channels is None:
            hidden_channels = max(in_channels // 2, 1)
        super().__init__(in_channels, hidden_channels, num_answers, dropout,
                         init_cfg)
        self.num_answers = num_answers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score every answer.

        Args:
            x (Tensor): ``(N, D)`` fused features.

        Returns:
            Tensor: ``(N, A)`` answer logits.
        """
        self._check_input(x)
        return self.layers(x)


@MODELS.register_module()
class MultipleChoiceHead(_AnswerMLP):
    """One score per fused (video, candidate) pair (official
    ``QA_MC_head``): ``Dropout(p) -> Linear(D, 256) -> LN -> GELU ->
    Linear(256, 1)``.

    Args:
        in_channels (int): Width ``D`` of the fused feature.
        hidden_channels (int): Hidden width. Defaults to 256 (official).
        dropout (float): Input dropout. Defaults to 0.1.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int = 256,
                 dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_channels, hidden_channels, 1, dropout, init_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score candidates.

        Args:
            x (Tensor): ``(N, D)`` fused features, one per candidate.

        Returns:
            Tensor: ``(N,)`` candidate scores (logits).
        """
        self._check_input(x)
        return self.layers(x).squeeze(-1)
