"""The initialisation every official Clover head uses."""
import torch.nn as nn


def init_head_weights(module: nn.Module) -> None:
    """Xavier-uniform weights and zero biases for every ``nn.Linear`` of
    ``module``, weight 1 and bias 0 for every ``nn.LayerNorm``."""
    for submodule in module.modules():
        if isinstance(submodule, nn.Linear):
            nn.init.xavier_uniform_(submodule.weight)
            nn.init.zeros_(submodule.bias)
        elif isinstance(submodule, nn.LayerNorm):
            nn.init.ones_(submodule.weight)
            nn.init.zeros_(submodule.bias)
