"""Two-layer projection heads mapping encoder features to the joint space."""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from clover.registry import MODELS
from ..utils.weight_init import init_head_weights


@MODELS.register_module()
class ProjectionHead(BaseModule):
    """``Linear -> [LN] -> GELU -> [Dropout] -> Linear -> [LN]``.

    Clover's video head ``g_v`` is ``ProjectionHead(1024, 1536, 768,
    norm=True)``, its text head ``g_t`` is ``ProjectionHead(768, 768, 768,
    norm=False)``. Weights are Xavier-uniform with zero biases, as in the
    official heads.

    Args:
        in_channels (int): Input feature size.
        hidden_channels (int): Hidden size.
        out_channels (int): Output (joint space) size.
        norm (bool): Whether a LayerNorm follows each linear layer.
            Defaults to True.
        dropout (float): Dropout after the activation. Defaults to 0.
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 out_channels: int,
                 norm: bool = True,
                 dropout: float = 0.,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.out_channels = out_channels
        self.layers = nn.Sequential(
            nn.Linear(in_channels, hidden_channels),
            nn.LayerNorm(hidden_channels) if norm else nn.Identity(),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_channels, out_channels),
            nn.LayerNorm(out_channels) if norm else nn.Identity())
        init_head_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Project ``(N, in_channels)`` features to ``(N, out_channels)``."""
        return self.layers(x)
