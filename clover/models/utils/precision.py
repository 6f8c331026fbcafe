"""Keep similarity and loss maths in fp32 when the model runs under
autocast (fp16 / bf16 mixed precision)."""
import functools
from typing import Callable

import torch


def _to_fp32(value):
    # Only half types are raised; fp64 inputs (tests) stay fp64.
    if isinstance(value, torch.Tensor) and value.dtype in (torch.float16,
                                                           torch.bfloat16):
        return value.float()
    return value


def fp32_forward(forward: Callable) -> Callable:
    """Decorate a loss ``forward(self, *tensors, **kwargs)`` so that it runs
    with autocast off and its fp16 / bf16 tensor arguments raised to fp32.

    Under autocast the ``(B, B)`` similarity matmuls divided by a small
    temperature (0.05) and the softmaxes over them would otherwise run in
    half precision, which loses the small logit gaps the contrastive and
    ranking terms depend on. Outside autocast the decorator changes nothing
    for fp32 and fp64 inputs.
    """

    @functools.wraps(forward)
    def wrapper(self, *args, **kwargs):
        tensors = [a for a in (*args, *kwargs.values())
                   if isinstance(a, torch.Tensor)]
        device_type = tensors[0].device.type if tensors else 'cpu'
        with torch.autocast(device_type=device_type, enabled=False):
            return forward(self, *map(_to_fp32, args),
                           **{k: _to_fp32(v) for k, v in kwargs.items()})

    return wrapper
