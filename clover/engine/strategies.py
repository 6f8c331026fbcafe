"""Training strategies for MMEngine's FlexibleRunner."""
from functools import partial
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine._strategy import FSDPStrategy
from mmengine.optim import BaseOptimWrapper, OptimWrapper
from torch.optim import Optimizer
from transformers.models.bert.modeling_bert import BertLayer

from clover.models.backbones.swin3d import SwinTransformerBlock3D
from clover.registry import FUNCTIONS, STRATEGIES

# The repeated blocks of Clover's towers: Video Swin blocks and the BERT
# layers of the text and fusion encoders.
TRANSFORMER_BLOCKS = (SwinTransformerBlock3D, BertLayer)


@FUNCTIONS.register_module()
def transformer_block_wrap_policy(module: nn.Module, recurse: bool,
                                  nonwrapped_numel: int) -> bool:
    """FSDP ``auto_wrap_policy``: one FSDP unit per transformer block, so
    that only one block's full parameters are gathered at a time; the rest
    (embeddings, heads) stays in the root unit."""
    return recurse or isinstance(module, TRANSFORMER_BLOCKS)


def _clip_sharded_grads(model: nn.Module,
                        params,
                        max_norm: float,
                        norm_type: float = 2.0) -> torch.Tensor:
    """``OptimWrapper.clip_func`` for an FSDP model: the gradient norm of
    the whole model (all ranks' shards), not of this rank's shard."""
    return model.clip_grad_norm_(max_norm, norm_type)


@STRATEGIES.register_module()
class CloverFSDPStrategy(FSDPStrategy):
    """MMEngine's :class:`~mmengine._strategy.FSDPStrategy` with two fixes
    Clover's configs need:

    - ``optim_wrapper.clip_grad``: the optim wrapper clips with
      ``torch.nn.utils.clip_grad_norm_``, which under FSDP sees only this
      rank's shard of every gradient, so each rank would clip by a
      different factor. Here the norm is FSDP's ``clip_grad_norm_`` of the
      whole model, as DDP clips.
    - Processes without CUDA (gloo): MMEngine passes the local rank to FSDP
      as a CUDA device; here FSDP is told to stay on the CPU, and the state
      dicts are not "offloaded to the CPU" (torch 2.13's FSDP crashes
      offloading CPU tensors; there is nothing to offload anyway).

    Its arguments are :class:`~mmengine._strategy.FSDPStrategy`'s.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if not torch.cuda.is_available():
            for config in (self.state_dict_config,
                           self.optim_state_dict_config):
                if getattr(config, 'offload_to_cpu', False):
                    config.offload_to_cpu = False

    def _wrap_model(self, model: nn.Module) -> nn.Module:
        if not torch.cuda.is_available():
            self.model_wrapper = dict(
                self.model_wrapper or dict(type='MMFullyShardedDataParallel'),
                device_id=torch.device('cpu'))
        return super()._wrap_model(model)

    def build_optim_wrapper(self,
                            optim_wrapper: Union[Optimizer, OptimWrapper,
                                                 dict],
                            model: Optional[nn.Module] = None
                            ) -> BaseOptimWrapper:
        optim_wrapper = super().build_optim_wrapper(optim_wrapper, model)
        if getattr(optim_wrapper, 'clip_func',
                   None) is torch.nn.utils.clip_grad_norm_:
            optim_wrapper.clip_func = partial(_clip_sharded_grads, model)
        return optim_wrapper
