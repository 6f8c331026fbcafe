from .dist import all_gather_with_grad, gather_sizes, rank_offset
from .hf import (check_pretrained_dir, load_pretrained_quietly,
                 set_attn_impl)
from .weight_init import init_head_weights

__all__ = [
    'all_gather_with_grad', 'gather_sizes', 'rank_offset',
    'check_pretrained_dir', 'load_pretrained_quietly', 'set_attn_impl',
    'init_head_weights'
]
