"""Clover's multi-modal fusion encoder: a BERT encoder run over the
concatenation of video tokens and text hidden states."""
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch.utils.checkpoint import checkpoint
from transformers import BertConfig, BertModel
from transformers.models.bert.modeling_bert import BertEncoder

from clover.models.utils.hf import (check_pretrained_dir,
                                    load_pretrained_quietly, set_attn_impl)
from clover.registry import MODELS


@dataclass
class FusionOutput:
    """Outputs of :class:`FusionTransformer`.

    Attributes:
        text (Tensor): ``(B, L, D)`` outputs at the text positions.
        video (Tensor): ``(B, T' * S, D)`` outputs at the video positions,
            time-major (``t * S + h * W' + w``).
        fused_cls (Tensor): ``(B, D)`` output at the text [CLS] position,
            Clover's fused video-text representation.
    """
    text: torch.Tensor
    video: torch.Tensor
    fused_cls: torch.Tensor


def _build_bert_encoder(pretrained: Optional[str], config: Optional[dict],
                        num_layers: int, attn_impl: str) -> BertEncoder:
    """Build a ``num_layers``-layer BERT encoder (no embeddings, no pooler).

    Args:
        pretrained (str, optional): Local HuggingFace BERT directory whose
            first ``num_layers`` layers initialise the encoder.
        config (dict, optional): ``BertConfig`` keyword arguments for a
            randomly initialised encoder (HF's BERT initialisation).
        num_layers (int): Number of layers.
        attn_impl (str): ``'sdpa'`` or ``'manual'`` attention.

    Returns:
        BertEncoder: The encoder; its ``config`` is the BERT config used.
    """
    if pretrained is not None:
        check_pretrained_dir(pretrained)
        bert_config = BertConfig.from_pretrained(
            pretrained, local_files_only=True)
        if not 1 <= num_layers <= bert_config.num_hidden_layers:
            raise ValueError(
                f'FusionTransformer: num_layers={num_layers} is outside '
                f'[1, {bert_config.num_hidden_layers}] (the layers of '
                f'{pretrained}).')
    else:
        if config.get('num_hidden_layers', num_layers) != num_layers:
            raise ValueError(
                'FusionTransformer: config num_hidden_layers='
                f'{config["num_hidden_layers"]} contradicts num_layers='
                f'{num_layers}; give the depth as num_layers only.')
        bert_config = BertConfig(**config)
    bert_config.num_hidden_layers = num_layers
    set_attn_impl(bert_config, attn_impl, 'FusionTransformer')

    if pretrained is None:
        return BertModel(bert_config, add_pooling_layer=False).encoder
    # The embeddings and deeper layers are not needed; the kept layers are.
    bert, absent, _ = load_pretrained_quietly(
        BertModel, pretrained, bert_config, add_pooling_layer=False)
    absent = [key for key in absent if key.startswith('encoder.')]
    if absent:
        raise RuntimeError(
            f'BERT directory {pretrained!r} lacks (or has wrongly shaped) '
            f'weights for: {", ".join(absent)}.')
    return bert.encoder


@MODELS.register_module()
class FusionTransformer(BaseModule):
    """Single-stream BERT fusion over ``[video tokens, text tokens]``.

    Clover's ``CrossModalTransformerFromPretrained`` without its never-used
    word embeddings. The encoder has its own weights, initialised from the
    first ``num_layers`` layers of a BERT directory (Clover: layers 0-2 of
    bert-base-uncased), separate from the text encoder's.

    Video tokens: ``Linear(video_channels -> D)`` + learned spatial position
    ``(1, 1, S, D)`` + learned temporal position ``(1, T, 1, D)`` (sliced to
    the clip's ``T'``) + token-type embedding 0, then a LayerNorm (eps 1e-5,
    PyTorch's default, as in the official code). Text tokens: the text
    encoder's hidden states + token-type embedding 1, with no LayerNorm.
    Attention is bidirectional over the whole sequence; only padding text
    tokens are masked out.

    Args:
        video_channels (int): Channels ``C`` of the video feature map
            (1024 for Video Swin-B).
        pretrained (str, optional): A local HuggingFace BERT directory.
            Exactly one of ``pretrained`` and ``config`` must be given.
        config (dict, optional): ``transformers.BertConfig`` keyword
            arguments for a randomly initialised encoder.
        num_layers (int): Encoder depth. Defaults to 3.
        num_temporal_slots (int): Temporal position embeddings, i.e. the most
            temporal tokens ``T'`` a clip may have (the official code fixes 4:
            8 frames with a temporal patch of 2). Defaults to 4.
        num_spatial_tokens (int): Spatial tokens per temporal slot,
            ``H' * W'`` (7x7 for 224 px input). Defaults to 49.
        with_cp (bool): Use non-reentrant activation checkpointing on each
            layer (active in training mode with gradients only).
            Defaults to False.
        attn_impl (str): ``'sdpa'`` or ``'manual'`` attention in the BERT
            layers. Defaults to ``'sdpa'``.
        init_cfg (dict or list[dict], optional): MMEngine initialisation
            config; only allowed without ``pretrained``, whose weights it
            would overwrite. Defaults to None.
    """

    def __init__(self,
                 video_channels: int,
                 pretrained: Optional[str] = None,
                 config: Optional[dict] = None,
                 num_layers: int = 3,
                 num_temporal_slots: int = 4,
                 num_spatial_tokens: int = 49,
                 with_cp: bool = False,
                 attn_impl: str = 'sdpa',
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if (pretrained is None) == (config is None):
            raise ValueError('FusionTransformer needs exactly one of '
                             f'pretrained (got {pretrained!r}) and config '
                             f'(got {config!r}).')
        if pretrained is not None and init_cfg is not None:
            raise ValueError(
                'FusionTransformer: init_cfg would overwrite the weights '
                f'loaded from pretrained={pretrained!r}; give only one.')
        for name, value in (('video_channels', video_channels),
                            ('num_temporal_slots', num_temporal_slots),
                            ('num_spatial_tokens', num_spatial_tokens)):
            if value < 1:
                raise ValueError(
                    f'FusionTransformer: {name} must be positive, got '
                    f'{value}.')
        self.video_channels = video_channels
        self.num_temporal_slots = num_temporal_slots
        self.num_spatial_tokens = num_spatial_tokens
        self.with_cp = with_cp

        self.encoder = _build_bert_encoder(pretrained, config, num_layers,
                                           attn_impl)
        hidden_size = self.encoder.config.hidden_size
        self.video_proj = nn.Linear(video_channels, hidden_size)
        self.spatial_pos = nn.Parameter(
            0.02 * torch.randn(1, 1, num_spatial_tokens, hidden_size))
        self.temporal_pos = nn.Parameter(
            0.02 * torch.randn(1, num_temporal_slots, 1, hidden_size))
        # 0: video, 1: text; default N(0, 1) init as in the official code.
        self.token_type_embeddings = nn.Embedding(2, hidden_size)
        self.video_norm = nn.LayerNorm(hidden_size)

    @property
    def out_channels(self) -> int:
        """Width ``D`` of the fused tokens (the BERT hidden size)."""
        return self.encoder.config.hidden_size

    def _check_inputs(self, video_feat: torch.Tensor,
                      text_hidden: torch.Tensor,
                      text_mask: torch.Tensor) -> None:
        if video_feat.dim() != 5:
            raise ValueError(
                'FusionTransformer: video_feat must be (B, C, T, H, W), got '
                f'shape {tuple(video_feat.shape)}.')
        batch, channels, time, height, width = video_feat.shape
        if channels != self.video_channels:
            raise ValueError(
                f'FusionTransformer: video_feat has {channels} channels but '
                f'video_channels={self.video_channels}.')
        if time > self.num_temporal_slots:
            raise ValueError(
                f'FusionTransformer: video_feat has {time} temporal tokens '
                f'but num_temporal_slots={self.num_temporal_slots}; raise '
                'num_temporal_slots or feed fewer frames.')
        if height * width != self.num_spatial_tokens:
            raise ValueError(
                f'FusionTransformer: video_feat has {height}x{width} spatial '
                f'tokens but num_spatial_tokens={self.num_spatial_tokens}.')
        if (text_hidden.dim() != 3 or text_hidden.shape[0] != batch
                or text_hidden.shape[2] != self.out_channels):
            raise ValueError(
                f'FusionTransformer: text_hidden must be ({batch}, L, '
                f'{self.out_channels}), got {tuple(text_hidden.shape)}.')
        if tuple(text_mask.shape) != tuple(text_hidden.shape[:2]):
            raise ValueError(
                f'FusionTransformer: text_mask must be '
                f'{tuple(text_hidden.shape[:2])}, got '
                f'{tuple(text_mask.shape)}.')

    def embed_video(self, video_feat: torch.Tensor) -> torch.Tensor:
        """Turn a feature map into fusion input tokens.

        Args:
            video_feat (Tensor): ``(B, C, T', H', W')`` feature map.

        Returns:
            Tensor: ``(B, T' * H' * W', D)`` tokens, time-major.
        """
        time = video_feat.shape[2]
        # (B, C, T', H', W') -> (B, T', H' * W', C)
        tokens = self.video_proj(video_feat.flatten(3).permute(0, 2, 3, 1))
        tokens = tokens + self.spatial_pos + self.temporal_pos[:, :time]
        tokens = tokens.flatten(1, 2) + self.token_type_embeddings.weight[0]
        return self.video_norm(tokens)

    def forward(self, video_feat: torch.Tensor, text_hidden: torch.Tensor,
                text_mask: torch.Tensor) -> FusionOutput:
        """Fuse a video feature map with text hidden states.

        Args:
            video_feat (Tensor): ``(B, C, T', H', W')`` video feature map
                (``T' = 1`` for images).
            text_hidden (Tensor): ``(B, L, D)`` text encoder outputs, [CLS]
                first.
            text_mask (Tensor): ``(B, L)`` 1 for real tokens, 0 for padding.

        Returns:
            FusionOutput: text ``(B, L, D)``, video ``(B, T' * S, D)`` and
            fused_cls ``(B, D)`` outputs.
        """
        self._check_inputs(video_feat, text_hidden, text_mask)
        video_tokens = self.embed_video(video_feat)
        text_tokens = text_hidden + self.token_type_embeddings.weight[1]
        hidden = torch.cat([video_tokens, text_tokens], dim=1)

        num_video = video_tokens.shape[1]
        mask = torch.cat(
            [text_mask.new_ones(text_mask.shape[0], num_video), text_mask],
            dim=1)
        # BERT's extended mask: 0 to attend, the dtype's minimum to ignore.
        additive_mask = (1.0 - mask[:, None, None, :].to(hidden.dtype)) * \
            torch.finfo(hidden.dtype).min

        use_cp = self.with_cp and self.training and torch.is_grad_enabled()
        for layer in self.encoder.layer:
            if use_cp:
                hidden = checkpoint(
                    layer, hidden, additive_mask, use_reentrant=False)
            else:
                hidden = layer(hidden, additive_mask)
            # transformers 4.x layers return a tuple, 5.x a tensor.
            if isinstance(hidden, tuple):
                hidden = hidden[0]

        text_out = hidden[:, num_video:]
        return FusionOutput(
            text=text_out,
            video=hidden[:, :num_video],
            fused_cls=text_out[:, 0])
