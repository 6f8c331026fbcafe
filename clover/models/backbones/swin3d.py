"""Video Swin Transformer backbone with SDPA window attention and a mask token.

The layer layout and parameter names follow the official Video Swin
Transformer (and Clover's fork of it), so its checkpoints load directly; see
:mod:`clover.models.backbones.swin3d_checkpoint` for the key mapping.
"""
from functools import lru_cache
from math import prod
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_

from clover.registry import MODELS
from .swin3d_checkpoint import SwinCheckpointReport, load_swin3d_checkpoint

Size3D = Tuple[int, int, int]

# Added to the attention logits of token pairs that came from different
# regions of a cyclically shifted window. The official model uses -100 (not
# -inf), which also keeps fully padded rows finite under fp16.
SHIFT_MASK_VALUE = -100.0


def _to_3d(value: Union[int, Sequence[int]], name: str) -> Size3D:
    """Turn an int or a 3-sequence into a ``(t, h, w)`` tuple."""
    if isinstance(value, int):
        return (value, value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 3:
        raise ValueError(f'SwinTransformer3D: {name} must be an int or a '
                         f'(t, h, w) triple, got {value}')
    return value


def window_partition(x: torch.Tensor, window_size: Size3D) -> torch.Tensor:
    """Cut a feature map into non-overlapping 3D windows.

    Args:
        x (torch.Tensor): Feature map ``(B, D, H, W, C)``; D, H, W are
            multiples of the window size.
        window_size (tuple[int]): ``(wd, wh, ww)``.

    Returns:
        torch.Tensor: Windows ``(B * nW, wd * wh * ww, C)``, ordered
        batch-major, then by window position (d, h, w).
    """
    B, D, H, W, C = x.shape
    wd, wh, ww = window_size
    x = x.reshape(B, D // wd, wd, H // wh, wh, W // ww, ww, C)
    return x.permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(-1, wd * wh * ww, C)


def window_reverse(windows: torch.Tensor, window_size: Size3D,
                   padded_size: Sequence[int]) -> torch.Tensor:
    """Inverse of :func:`window_partition`.

    Args:
        windows (torch.Tensor): ``(B * nW, wd * wh * ww, C)``.
        window_size (tuple[int]): ``(wd, wh, ww)``.
        padded_size (Sequence[int]): ``(D, H, W)`` of the partitioned map.

    Returns:
        torch.Tensor: Feature map ``(B, D, H, W, C)``.
    """
    D, H, W = padded_size
    wd, wh, ww = window_size
    C = windows.shape[-1]
    x = windows.reshape(-1, D // wd, H // wh, W // ww, wd, wh, ww, C)
    return x.permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(-1, D, H, W, C)


def effective_window(feature_size: Sequence[int], window_size: Size3D,
                     shift_size: Size3D) -> Tuple[Size3D, Size3D]:
    """Clip the window to the feature map, as the official model does.

    An axis no longer than the window gets one window spanning the whole axis
    and no shift.

    Returns:
        tuple: ``(window_size, shift_size)`` actually used.
    """
    window, shift = list(window_size), list(shift_size)
    for axis, length in enumerate(feature_size):
        if length <= window_size[axis]:
            window[axis] = length
            shift[axis] = 0
    return tuple(window), tuple(shift)


def relative_position_index(window_size: Size3D) -> torch.Tensor:
    """Index into the relative-position bias table for every token pair.

    Args:
        window_size (tuple[int]): ``(wd, wh, ww)``.

    Returns:
        torch.Tensor: ``(N, N)`` long tensor, ``N = wd * wh * ww``; entry
        ``(i, j)`` encodes the offset ``pos_i - pos_j`` in the
        ``(2wd-1) * (2wh-1) * (2ww-1)`` table, temporal offset outermost.
    """
    coords = torch.stack(
        torch.meshgrid(*[torch.arange(w) for w in window_size], indexing='ij'))
    coords = coords.flatten(1)  # (3, N)
    offsets = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)
    spans = [2 * w - 1 for w in window_size]
    offsets = offsets + torch.tensor([w - 1 for w in window_size])
    return (offsets[..., 0] * spans[1] * spans[2] + offsets[..., 1] * spans[2]
            + offsets[..., 2])


def build_shift_window_mask(padded_size: Size3D, window_size: Size3D,
                            shift_size: Size3D,
                            device: torch.device) -> torch.Tensor:
    """Additive mask that keeps shifted-window attention inside each region.

    After the cyclic shift, a window at the end of an axis holds tokens from
    both ends of the map; tokens from different regions must not attend to
    each other. :func:`shift_window_mask` is the cached version.

    Args:
        padded_size (tuple[int]): ``(Dp, Hp, Wp)``, multiples of the window.
        window_size (tuple[int]): Effective window ``(wd, wh, ww)``.
        shift_size (tuple[int]): Effective shift ``(sd, sh, sw)``.
        device (torch.device): Where the mask lives.

    Returns:
        torch.Tensor: ``(nW, N, N)`` float tensor of 0 and
        :data:`SHIFT_MASK_VALUE`, read-only by convention (it is shared).
    """
    region_ids = torch.zeros(padded_size, dtype=torch.long, device=device)
    for axis, (length, window, shift) in enumerate(
            zip(padded_size, window_size, shift_size)):
        if shift == 0:
            continue
        # Regions along one axis: [0, L-w), [L-w, L-s), [L-s, L).
        positions = torch.arange(length, device=device)
        axis_region = (positions >= length - window).long() + (
            positions >= length - shift).long()
        shape = [1, 1, 1]
        shape[axis] = length
        region_ids = region_ids * 3 + axis_region.view(shape)
    windows = window_partition(region_ids[None, ..., None], window_size)
    windows = windows.squeeze(-1)  # (nW, N)
    differs = windows[:, None, :] != windows[:, :, None]
    return torch.zeros(differs.shape, device=device).masked_fill(
        differs, SHIFT_MASK_VALUE)


# Every block of a stage, and every step with the same input size, reuses the
# mask of one padded feature size.
shift_window_mask = lru_cache(maxsize=64)(build_shift_window_mask)


class DropPath(nn.Module):
    """Stochastic depth: drop the whole residual branch per sample.

    Args:
        drop_prob (float): Probability of dropping the branch.
    """

    def __init__(self, drop_prob: float) -> None:
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply stochastic depth to ``x`` of shape ``(B, ...)``."""
        if not self.training or self.drop_prob == 0.:
            return x
        keep_prob = 1. - self.drop_prob
        keep = x.new_empty((x.shape[0], ) + (1, ) * (x.dim() - 1))
        keep.bernoulli_(keep_prob)
        return x * keep / keep_prob

    def extra_repr(self) -> str:
        return f'drop_prob={self.drop_prob}'


class Mlp(nn.Module):
    """Two-layer feed-forward network with GELU.

    Args:
        embed_dims (int): Input and output channels.
        hidden_dims (int): Hidden channels.
        drop (float): Dropout after each linear layer.
    """

    def __init__(self, embed_dims: int, hidden_dims: int,
                 drop: float) -> None:
        super().__init__()
        self.fc1 = nn.Linear(embed_dims, hidden_dims)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dims, embed_dims)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., C) -> (..., C)``."""
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class WindowAttention3D(BaseModule):
    """Multi-head self-attention inside 3D windows with relative position
    bias.

    The bias and the optional shift mask are summed into one additive float
    mask, used either by ``F.scaled_dot_product_attention``
    (``attn_impl='sdpa'``, which picks a fused kernel where the device has
    one) or by an explicit ``softmax(q @ k^T * scale + mask) @ v``
    (``attn_impl='manual'``).

    Args:
        embed_dims (int): Channels C.
        window_size (tuple[int]): Full window ``(wd, wh, ww)``; sets the size
            of the bias table.
        num_heads (int): Number of heads nH.
        qkv_bias (bool): Learnable bias on q, k, v. Defaults to True.
        qk_scale (float, optional): Overrides ``head_dim ** -0.5``.
            Defaults to None.
        attn_drop (float): Dropout on attention weights. Defaults to 0.
        proj_drop (float): Dropout on the output. Defaults to 0.
        attn_impl (str): ``'sdpa'`` or ``'manual'``. Defaults to ``'sdpa'``.
    """

    def __init__(self,
                 embed_dims: int,
                 window_size: Size3D,
                 num_heads: int,
                 qkv_bias: bool = True,
                 qk_scale: Optional[float] = None,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.,
                 attn_impl: str = 'sdpa') -> None:
        super().__init__()
        if attn_impl not in ('sdpa', 'manual'):
            raise ValueError("SwinTransformer3D: attn_impl must be 'sdpa' or "
                             f"'manual', got {attn_impl!r}")
        self.num_heads = num_heads
        self.head_dims = embed_dims // num_heads
        self.scale = qk_scale or self.head_dims**-0.5
        self.attn_impl = attn_impl
        self.attn_drop_prob = attn_drop

        table_size = prod(2 * w - 1 for w in window_size)
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros(table_size, num_heads))
        trunc_normal_(self.relative_position_bias_table, std=.02)
        # Derived from the window size alone, so it is not saved.
        self.register_buffer(
            'relative_position_index',
            relative_position_index(window_size),
            persistent=False)

        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)

    def relative_position_bias(self, num_tokens: int) -> torch.Tensor:
        """Bias ``(nH, N, N)`` for windows of ``num_tokens`` tokens.

        A window clipped to a small feature map uses the top-left ``N x N``
        block of the full window's index, as the official model does. That
        is exact when only the temporal axis is clipped (it is outermost in
        the token order), the usual case of short clips.
        """
        index = self.relative_position_index[:num_tokens, :num_tokens]
        bias = self.relative_position_bias_table[index.reshape(-1)]
        return bias.view(num_tokens, num_tokens, -1).permute(2, 0, 1)

    def forward(self,
                x: torch.Tensor,
                shift_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Attend within each window.

        Args:
            x (torch.Tensor): Windows ``(B * nW, N, C)``, batch-major.
            shift_mask (torch.Tensor, optional): ``(nW, N, N)`` additive mask
                from :func:`shift_window_mask`. Defaults to None.

        Returns:
            torch.Tensor: ``(B * nW, N, C)``.
        """
        num_windows_total, N, C = x.shape
        qkv = self.qkv(x).view(num_windows_total, N, 3, self.num_heads,
                               self.head_dims)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # (B*nW, nH, N, hd)

        attn_mask = self.relative_position_bias(N).unsqueeze(0)
        if shift_mask is not None:
            # Fold the windows into the head axis so that one
            # (1, nW*nH, N, N) mask broadcasts over the batch without being
            # copied B times.
            nW = shift_mask.shape[0]
            attn_mask = (attn_mask + shift_mask.unsqueeze(1)).reshape(
                1, nW * self.num_heads, N, N)
            q, k, v = (t.reshape(-1, nW * self.num_heads, N, self.head_dims)
                       for t in (q, k, v))

        if self.attn_impl == 'sdpa':
            out = F.scaled_dot_product_attention(
                q,
                k,
                v,
                attn_mask=attn_mask.to(q.dtype),
                dropout_p=self.attn_drop_prob if self.training else 0.,
                scale=self.scale)
        else:
            attn = (q * self.scale) @ k.transpose(-2, -1) + attn_mask
            out = self.attn_drop(attn.softmax(dim=-1)) @ v

        out = out.reshape(num_windows_total, self.num_heads, N,
                          self.head_dims).transpose(1, 2).reshape(
                              num_windows_total, N, C)
        return self.proj_drop(self.proj(out))


class SwinTransformerBlock3D(BaseModule):
    """One (shifted-)window attention block: ``x + Attn(LN(x))`` then
    ``x + MLP(LN(x))``, each branch with stochastic depth.

    Args:
        embed_dims (int): Channels C.
        num_heads (int): Attention heads.
        window_size (tuple[int]): Full window ``(wd, wh, ww)``.
        shift_size (tuple[int]): Cyclic shift; ``(0, 0, 0)`` for W-MSA.
        mlp_ratio (float): MLP hidden width over C.
        qkv_bias (bool): Learnable bias on q, k, v.
        qk_scale (float, optional): Overrides ``head_dim ** -0.5``.
        drop (float): Dropout in the MLP and after the attention projection.
        attn_drop (float): Dropout on attention weights.
        drop_path (float): Stochastic depth probability of this block.
        attn_impl (str): ``'sdpa'`` or ``'manual'``.
        with_cp (bool): Recompute the block in backward to save memory.
    """

    def __init__(self, embed_dims: int, num_heads: int, window_size: Size3D,
                 shift_size: Size3D, mlp_ratio: float, qkv_bias: bool,
                 qk_scale: Optional[float], drop: float, attn_drop: float,
                 drop_path: float, attn_impl: str, with_cp: bool) -> None:
        super().__init__()
        self.window_size = window_size
        self.shift_size = shift_size
        self.with_cp = with_cp
        self.norm1 = nn.LayerNorm(embed_dims)
        self.attn = WindowAttention3D(embed_dims, window_size, num_heads,
                                      qkv_bias, qk_scale, attn_drop, drop,
                                      attn_impl)
        self.drop_path = DropPath(drop_path) if drop_path > 0. \
            else nn.Identity()
        self.norm2 = nn.LayerNorm(embed_dims)
        self.mlp = Mlp(embed_dims, int(embed_dims * mlp_ratio), drop)

    def _shifted_window_attention(
            self, x: torch.Tensor,
            shift_mask: Optional[torch.Tensor]) -> torch.Tensor:
        """(S)W-MSA on a normalised map ``(B, D, H, W, C)``, same shape out."""
        _, D, H, W, _ = x.shape
        window, shift = effective_window((D, H, W), self.window_size,
                                         self.shift_size)
        # Pad after the norm, as the official model does: the zero tokens
        # take part in attention but are cropped away afterwards.
        pads = [(-length) % w for length, w in zip((D, H, W), window)]
        x = F.pad(x, (0, 0, 0, pads[2], 0, pads[1], 0, pads[0]))
        padded_size = x.shape[1:4]
        shifted = any(s > 0 for s in shift)
        if shifted:
            x = torch.roll(x, shifts=[-s for s in shift], dims=(1, 2, 3))
        windows = self.attn(
            window_partition(x, window), shift_mask if shifted else None)
        x = window_reverse(windows, window, padded_size)
        if shifted:
            x = torch.roll(x, shifts=shift, dims=(1, 2, 3))
        return x[:, :D, :H, :W]

    def _forward(self, x: torch.Tensor,
                 shift_mask: Optional[torch.Tensor]) -> torch.Tensor:
        x = x + self.drop_path(
            self._shifted_window_attention(self.norm1(x), shift_mask))
        return x + self.drop_path(self.mlp(self.norm2(x)))

    def forward(self, x: torch.Tensor,
                shift_mask: Optional[torch.Tensor]) -> torch.Tensor:
        """Run the block.

        Args:
            x (torch.Tensor): ``(B, D, H, W, C)``.
            shift_mask (torch.Tensor, optional): ``(nW, N, N)`` mask for the
                stage's padded size; ignored when this block does not shift.

        Returns:
            torch.Tensor: ``(B, D, H, W, C)``.
        """
        if self.with_cp and self.training and torch.is_grad_enabled():
            return cp.checkpoint(
                self._forward, x, shift_mask, use_reentrant=False)
        return self._forward(x, shift_mask)


class PatchMerging(BaseModule):
    """Concatenate each 2x2 spatial neighbourhood and project 4C -> 2C.

    Args:
        embed_dims (int): Input channels C.
    """

    def __init__(self, embed_dims: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(4 * embed_dims)
        self.reduction = nn.Linear(4 * embed_dims, 2 * embed_dims, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, D, H, W, C) -> (B, D, ceil(H/2), ceil(W/2), 2C)``."""
        B, D, H, W, C = x.shape
        x = F.pad(x, (0, 0, 0, W % 2, 0, H % 2))
        x = x.reshape(B, D, (H + 1) // 2, 2, (W + 1) // 2, 2, C)
        # Channel order (h, w) offsets: (0,0), (1,0), (0,1), (1,1), as in the
        # official weights.
        x = x.permute(0, 1, 2, 4, 5, 3, 6).flatten(4)
        return self.reduction(self.norm(x))


class SwinStage3D(BaseModule):
    """One stage: blocks alternating W-MSA and SW-MSA, then optional patch
    merging.

    Args:
        embed_dims (int): Channels C of the stage.
        depth (int): Number of blocks.
        num_heads (int): Attention heads.
        window_size (tuple[int]): Full window ``(wd, wh, ww)``.
        drop_paths (Sequence[float]): Stochastic depth per block.
        downsample (bool): Whether to end with :class:`PatchMerging`.
        **block_kwargs: Other :class:`SwinTransformerBlock3D` arguments.
    """

    def __init__(self, embed_dims: int, depth: int, num_heads: int,
                 window_size: Size3D, drop_paths: Sequence[float],
                 downsample: bool, **block_kwargs) -> None:
        super().__init__()
        self.window_size = window_size
        self.shift_size = tuple(w // 2 for w in window_size)
        self.blocks = nn.ModuleList([
            SwinTransformerBlock3D(
                embed_dims,
                num_heads,
                window_size,
                shift_size=self.shift_size if i % 2 else (0, 0, 0),
                drop_path=drop_paths[i],
                **block_kwargs) for i in range(depth)
        ])
        self.downsample = PatchMerging(embed_dims) if downsample else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, D, H, W, C)`` -> ``(B, D, H', W', C')``; halved H, W and
        doubled C when the stage downsamples."""
        size = x.shape[1:4]
        window, shift = effective_window(size, self.window_size,
                                         self.shift_size)
        shift_mask = None
        if any(s > 0 for s in shift):
            padded_size = tuple(-(-n // w) * w for n, w in zip(size, window))
            # Under torch.compile the mask is traced into the graph instead,
            # where it is a constant of the input shape.
            make_mask = build_shift_window_mask \
                if torch.compiler.is_compiling() else shift_window_mask
            shift_mask = make_mask(padded_size, window, shift, x.device)
        for block in self.blocks:
            x = block(x, shift_mask)
        if self.downsample is not None:
            x = self.downsample(x)
        return x


class PatchEmbed3D(BaseModule):
    """Cut a clip into 3D patches with a strided Conv3d, then LayerNorm.

    The input is zero-padded at the end of T, H and W to multiples of the
    patch size (so a 1-frame clip becomes ``patch_size[0]`` frames with zero
    padding), then convolved with kernel ``patch_size`` and ``stride``.

    Args:
        patch_size (tuple[int]): Conv kernel ``(pt, ph, pw)``.
        stride (tuple[int]): Conv stride.
        in_channels (int): Input channels.
        embed_dims (int): Output channels.
        patch_norm (bool): Whether to apply LayerNorm.
    """

    def __init__(self, patch_size: Size3D, stride: Size3D, in_channels: int,
                 embed_dims: int, patch_norm: bool) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.stride = stride
        self.proj = nn.Conv3d(
            in_channels, embed_dims, kernel_size=patch_size, stride=stride)
        self.norm = nn.LayerNorm(embed_dims) if patch_norm else None

    def grid_size(self, input_size: Sequence[int]) -> Size3D:
        """Token grid ``(T', H', W')`` for an input of size ``(T, H, W)``."""
        return tuple(
            (-(-n // p) * p - p) // s + 1
            for n, p, s in zip(input_size, self.patch_size, self.stride))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C_in, T, H, W) -> (B, C, T', H', W')``."""
        pads = [(-n) % p for n, p in zip(x.shape[2:], self.patch_size)]
        x = self.proj(F.pad(x, (0, pads[2], 0, pads[1], 0, pads[0])))
        if self.norm is not None:
            x = self.norm(x.movedim(1, -1)).movedim(-1, 1)
        return x


@MODELS.register_module()
class SwinTransformer3D(BaseModule):
    """Video Swin Transformer (`Liu et al., CVPR 2022
    <https://arxiv.org/abs/2106.13230>`_), as Clover uses it.

    Compared with mmaction2's ``SwinTransformer3D`` it adds a patch-embedding
    stride separate from the patch size, an optional learnable mask token
    (Clover's masked video input), SDPA window attention, non-reentrant
    activation checkpointing, and a loader for official / mmaction2
    checkpoints. Only the last stage's output is returned, after the final
    LayerNorm ``norm``.

    Args:
        arch (str | dict): ``'tiny'``, ``'small'``, ``'base'``, ``'large'``
            or a dict with keys ``embed_dims`` (int), ``depths`` and
            ``num_heads`` (sequences, one entry per stage).
        patch_size (int | Sequence[int]): Patch size ``(pt, ph, pw)``.
            Defaults to ``(2, 4, 4)``.
        patch_stride (int | Sequence[int], optional): Patch-embedding stride;
            None means ``patch_size`` (non-overlapping). Defaults to None.
        in_channels (int): Input channels. Defaults to 3.
        window_size (int | Sequence[int]): Attention window ``(wd, wh, ww)``.
            Defaults to ``(8, 7, 7)``.
        mlp_ratio (float): MLP hidden width over embedding width.
            Defaults to 4.
        qkv_bias (bool): Learnable bias on q, k, v. Defaults to True.
        qk_scale (float, optional): Overrides ``head_dim ** -0.5``.
            Defaults to None.
        drop_rate (float): Dropout after patch embedding, in the MLPs and
            after attention projections. Defaults to 0.
        attn_drop_rate (float): Dropout on attention weights. Defaults to 0.
        drop_path_rate (float): Stochastic depth of the last block; it rises
            linearly from 0 over all blocks. Defaults to 0.1.
        patch_norm (bool): LayerNorm after patch embedding. Defaults to True.
        use_mask_token (bool): Add a learnable ``mask_token``
            ``(1, embed_dims, 1, 1, 1)`` that replaces masked patches (see
            :meth:`forward`). Defaults to False.
        with_cp (bool): Activation checkpointing per block (training with
            grad only). Defaults to False.
        attn_impl (str): ``'sdpa'`` or ``'manual'`` window attention.
            Defaults to ``'sdpa'``.
        frozen_stages (int): Freeze the patch embedding and the mask token
            (>= 0) and the first ``frozen_stages`` stages (>= 1); -1 freezes
            nothing. Defaults to -1.
        pretrained (str, optional): Checkpoint loaded by :meth:`init_weights`
            through :meth:`load_pretrained`. Defaults to None.
        init_cfg (dict | list[dict], optional): Random initialisation, run
            before ``pretrained`` is loaded. Defaults to truncated normal
            (std 0.02) Linear weights and unit LayerNorms.
    """
    arch_zoo = {
        'tiny': dict(embed_dims=96, depths=[2, 2, 6, 2],
                     num_heads=[3, 6, 12, 24]),
        'small': dict(embed_dims=96, depths=[2, 2, 18, 2],
                      num_heads=[3, 6, 12, 24]),
        'base': dict(embed_dims=128, depths=[2, 2, 18, 2],
                     num_heads=[4, 8, 16, 32]),
        'large': dict(embed_dims=192, depths=[2, 2, 18, 2],
                      num_heads=[6, 12, 24, 48]),
    }  # yapf: disable

    def __init__(
        self,
        arch: Union[str, Dict],
        patch_size: Union[int, Sequence[int]] = (2, 4, 4),
        patch_stride: Optional[Union[int, Sequence[int]]] = None,
        in_channels: int = 3,
        window_size: Union[int, Sequence[int]] = (8, 7, 7),
        mlp_ratio: float = 4.,
        qkv_bias: bool = True,
        qk_scale: Optional[float] = None,
        drop_rate: float = 0.,
        attn_drop_rate: float = 0.,
        drop_path_rate: float = 0.1,
        patch_norm: bool = True,
        use_mask_token: bool = False,
        with_cp: bool = False,
        attn_impl: str = 'sdpa',
        frozen_stages: int = -1,
        pretrained: Optional[str] = None,
        init_cfg: Optional[Union[Dict, List[Dict]]] = [
            dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.)
        ]
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        settings = self._parse_arch(arch)
        self.embed_dims = settings['embed_dims']
        self.depths = list(settings['depths'])
        self.num_heads = list(settings['num_heads'])
        self.num_stages = len(self.depths)
        self.out_channels = self.embed_dims * 2**(self.num_stages - 1)
        self.patch_size = _to_3d(patch_size, 'patch_size')
        self.patch_stride = self.patch_size if patch_stride is None else \
            _to_3d(patch_stride, 'patch_stride')
        self.window_size = _to_3d(window_size, 'window_size')
        self.use_mask_token = use_mask_token
        self.frozen_stages = frozen_stages
        self.pretrained = pretrained

        self.patch_embed = PatchEmbed3D(self.patch_size, self.patch_stride,
                                        in_channels, self.embed_dims,
                                        patch_norm)
        if use_mask_token:
            self.mask_token = nn.Parameter(
                torch.zeros(1, self.embed_dims, 1, 1, 1))
            trunc_normal_(self.mask_token, std=.02)
        self.pos_drop = nn.Dropout(p=drop_rate)

        # On CPU explicitly, so that building under a meta device works too.
        drop_paths = torch.linspace(
            0, drop_path_rate, sum(self.depths), device='cpu').tolist()
        self.layers = nn.ModuleList()
        for i, (depth, heads) in enumerate(zip(self.depths, self.num_heads)):
            self.layers.append(
                SwinStage3D(
                    self.embed_dims * 2**i,
                    depth,
                    heads,
                    self.window_size,
                    drop_paths=drop_paths[:depth],
                    downsample=i < self.num_stages - 1,
                    mlp_ratio=mlp_ratio,
                    qkv_bias=qkv_bias,
                    qk_scale=qk_scale,
                    drop=drop_rate,
                    attn_drop=attn_drop_rate,
                    attn_impl=attn_impl,
                    with_cp=with_cp))
            drop_paths = drop_paths[depth:]
        self.norm = nn.LayerNorm(self.out_channels)
        self._freeze_stages()

    @classmethod
    def _parse_arch(cls, arch: Union[str, Dict]) -> Dict:
        """Resolve a preset name or validate a custom arch dict."""
        if isinstance(arch, str):
            if arch.lower() not in cls.arch_zoo:
                raise ValueError(f'SwinTransformer3D: unknown arch {arch!r}, '
                                 f'choose from {sorted(cls.arch_zoo)}')
            return cls.arch_zoo[arch.lower()]
        keys = {'embed_dims', 'depths', 'num_heads'}
        if not isinstance(arch, dict) or set(arch) != keys:
            raise ValueError('SwinTransformer3D: a custom arch must be a dict '
                             f'with exactly the keys {sorted(keys)}, got '
                             f'{arch!r}')
        if len(arch['depths']) != len(arch['num_heads']) or not arch['depths']:
            raise ValueError('SwinTransformer3D: arch depths and num_heads '
                             'must be non-empty and of equal length, got '
                             f"{arch['depths']} and {arch['num_heads']}")
        for i, heads in enumerate(arch['num_heads']):
            if (arch['embed_dims'] * 2**i) % heads:
                raise ValueError(
                    f'SwinTransformer3D: stage {i} has '
                    f"{arch['embed_dims'] * 2**i} channels, not divisible by "
                    f'num_heads[{i}]={heads}')
        return arch

    def _freeze_stages(self) -> None:
        """Stop gradients and dropout in the frozen part."""
        frozen = []
        if self.frozen_stages >= 0:
            frozen.append(self.patch_embed)
        frozen.extend(self.layers[:max(self.frozen_stages, 0)])
        if self.frozen_stages >= 1:
            frozen.append(self.pos_drop)
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False
        if self.frozen_stages >= 0 and self.use_mask_token:
            self.mask_token.requires_grad = False

    def train(self, mode: bool = True) -> 'SwinTransformer3D':
        """Set the train mode, keeping frozen stages in eval mode."""
        super().train(mode)
        self._freeze_stages()
        return self

    def init_weights(self) -> None:
        """Random init from ``init_cfg``, then load ``pretrained`` if set."""
        super().init_weights()
        if self.pretrained is not None:
            self.load_pretrained(self.pretrained)

    def load_pretrained(self, path: str) -> SwinCheckpointReport:
        """Load Video Swin weights (official, Clover ``*_nobackbone`` or
        mmaction2 1.x layout) non-strictly and log what did not match.

        See :func:`clover.models.backbones.load_swin3d_checkpoint`.

        Args:
            path (str): Checkpoint file.

        Returns:
            SwinCheckpointReport: Loaded, missing, unexpected and skipped keys.
        """
        return load_swin3d_checkpoint(self, path)

    def grid_size(self, input_size: Sequence[int]) -> Size3D:
        """Patch grid ``(T', H', W')`` for an input clip of ``(T, H, W)``."""
        return self.patch_embed.grid_size(input_size)

    def expand_mask(self, mask: torch.Tensor,
                    grid_size: Sequence[int]) -> torch.Tensor:
        """Bring a patch mask to the patch grid.

        Args:
            mask (torch.Tensor): Bool or float, 1 = masked. Either
                ``(B, h, w)`` on a coarse spatial grid, nearest-upsampled to
                ``(H', W')`` and shared by every temporal position (a tube
                mask), or ``(B, T', H', W')`` already on the patch grid.
            grid_size (Sequence[int]): Patch grid ``(T', H', W')``.

        Returns:
            torch.Tensor: Float ``(B, 1, T', H', W')`` mask weights.
        """
        T, H, W = grid_size
        mask = mask.float()
        if mask.dim() == 3:
            mask = F.interpolate(mask[:, None], size=(H, W), mode='nearest')
            return mask[:, :, None].expand(-1, -1, T, -1, -1)
        if mask.dim() == 4 and tuple(mask.shape[1:]) == (T, H, W):
            return mask[:, None]
        raise ValueError('SwinTransformer3D: mask must be (B, h, w) or '
                         f'(B, {T}, {H}, {W}) for patch grid {(T, H, W)}, got '
                         f'shape {tuple(mask.shape)}')

    def embed(self,
              x: torch.Tensor,
              mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Patch embedding, with masked patches replaced by the mask token.

        Args:
            x (torch.Tensor): Clip ``(B, C_in, T, H, W)``.
            mask (torch.Tensor, optional): See :meth:`expand_mask`.

        Returns:
            torch.Tensor: ``(B, embed_dims, T', H', W')``, computed as
            ``x * (1 - w) + mask_token * w`` with ``w`` the expanded mask.
        """
        x = self.patch_embed(x)
        if mask is None:
            return x
        if not self.use_mask_token:
            raise ValueError('SwinTransformer3D: got a mask but the model '
                             'was built with use_mask_token=False')
        if mask.shape[0] != x.shape[0]:
            raise ValueError(f'SwinTransformer3D: mask has batch size '
                             f'{mask.shape[0]}, input has {x.shape[0]}')
        w = self.expand_mask(mask, x.shape[2:]).to(x.dtype)
        return x * (1. - w) + self.mask_token * w

    def forward(self,
                x: torch.Tensor,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Encode a clip.

        Args:
            x (torch.Tensor): Clip ``(B, C_in, T, H, W)``; an image is a
                1-frame clip ``(B, C_in, 1, H, W)``. Sizes that are not
                multiples of the patch or window size are zero-padded.
            mask (torch.Tensor, optional): Patches to replace by the mask
                token; needs ``use_mask_token=True``. See :meth:`expand_mask`.

        Returns:
            torch.Tensor: ``(B, out_channels, T', H'', W'')`` after the final
            LayerNorm, where ``(T', H', W') = grid_size((T, H, W))`` and each
            of the ``num_stages - 1`` merges halves H', W' (rounding up).
        """
        if x.dim() != 5:
            raise ValueError('SwinTransformer3D: expected input (B, C, T, H, '
                             f'W), got shape {tuple(x.shape)}')
        x = self.pos_drop(self.embed(x, mask))
        x = x.permute(0, 2, 3, 4, 1)  # stages work channel-last
        for stage in self.layers:
            x = stage(x)
        return self.norm(x).permute(0, 4, 1, 2, 3).contiguous()
