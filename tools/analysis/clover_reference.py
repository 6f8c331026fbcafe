"""The faithful eager Clover pre-training step, composed as the official
code composes it, from mmaction2's and transformers' own modules.

Nothing here imports :mod:`clover.models`: this is the independent side of
``tools/analysis/benchmark_train_step.py`` (speed and first-step losses) and
of the Video Swin parity tests. What it composes (``docs/method.md`` §1-§2):

- mmaction2 1.2.0's ``SwinTransformer3D`` (manual window attention),
  loaded by file path, with a mask token applied right after the patch
  embedding (a tube mask shared by every temporal position);
- transformers' ``BertModel`` (eager attention) for the text;
- a BERT encoder of ``fusion_layers`` layers over ``[video tokens, text
  tokens]`` (video: ``fc_in`` + spatial / temporal positions + token type 0,
  LayerNorm; text: hidden states + token type 1);
- the four projection heads ``g_v``, ``g_t``, ``h_V``, ``h_T`` and the
  untied MLM head, decoding every text position;
- six separate encoder passes (two of each encoder), exclusive tri-modal
  InfoNCE with ranking for both anchors, and softmax focal MLM, with the
  similarity and loss maths in fp32.
"""
import importlib.util
import os.path as osp
import sys
from typing import Dict, Tuple

import mmaction
import torch
import torch.nn as nn
import torch.nn.functional as F
from transformers import BertConfig, BertModel
from transformers.models.bert.modeling_bert import BertPredictionHeadTransform

SWIN_MODULE_NAME = '_mmaction_swin_reference'


def load_mmaction_swin():
    """mmaction2's ``swin.py`` by file path (``import mmaction.models`` is
    broken on PyPI), loaded once per process since it registers into a
    registry."""
    if SWIN_MODULE_NAME not in sys.modules:
        path = osp.join(
            osp.dirname(mmaction.__file__), 'models', 'backbones', 'swin.py')
        spec = importlib.util.spec_from_file_location(SWIN_MODULE_NAME, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[SWIN_MODULE_NAME] = module
    return sys.modules[SWIN_MODULE_NAME]


def _mlp(in_channels: int, hidden: int, out: int, norm: bool,
         dropout: float = 0.) -> nn.Sequential:
    """The official heads: ``Linear [LN] GELU [Dropout] Linear [LN]``."""
    layers = [nn.Linear(in_channels, hidden)]
    if norm:
        layers.append(nn.LayerNorm(hidden))
    layers.append(nn.GELU())
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, out))
    if norm:
        layers.append(nn.LayerNorm(out))
    return nn.Sequential(*layers)


def exclusive_nce_with_ranking(anchor: torch.Tensor, complete: torch.Tensor,
                               masked: torch.Tensor, fused: torch.Tensor,
                               temperature: float,
                               margin: float) -> Tuple[torch.Tensor,
                                                       torch.Tensor]:
    """The official ``ExclusiveNCEwithRankingLoss`` for one anchor set.

    Args:
        anchor, complete, masked, fused (Tensor): ``(N, E)`` embeddings
            (normalised here); row ``i`` of each belongs to pair ``i``.
        temperature (float): Softmax temperature.
        margin (float): Ranking margin in logit units.

    Returns:
        tuple: ``(nce, rank)`` scalars.
    """
    anchor, complete, masked, fused = (
        F.normalize(x.float(), dim=-1)
        for x in (anchor, complete, masked, fused))
    num = anchor.shape[0]
    sims = [anchor @ c.t() / temperature for c in (complete, masked, fused)]
    targets = torch.arange(num, device=anchor.device)
    # anchor -> candidates: each positive against all 3N candidates but the
    # other two positives of its index, which get -1e4 (diag - (diag + 1e4)).
    a2c = 0.
    for k in range(3):
        blocks = [
            sim if j == k else
            sim - torch.diag_embed(torch.diagonal(sim) + 1e4)
            for j, sim in enumerate(sims)
        ]
        a2c = a2c + F.cross_entropy(torch.cat(blocks, dim=1),
                                    targets + k * num)
    # candidates -> anchor: plain InfoNCE per type, averaged.
    c2a = sum(F.cross_entropy(sim.t(), targets) for sim in sims) / 3
    rank = nn.MarginRankingLoss(margin=margin)(
        torch.diagonal(sims[0]), torch.diagonal(sims[1]),
        torch.ones(num, device=anchor.device))
    return a2c + c2a, rank


def focal_mlm(logits: torch.Tensor, labels: torch.Tensor,
              gamma: float) -> torch.Tensor:
    """Softmax focal loss (``(1 - p_t) ** gamma * CE``), mean over the
    labelled positions of ``(B, L, V)`` logits."""
    keep = labels != -100
    log_p = F.log_softmax(logits[keep].float(), dim=-1)
    log_p_t = log_p.gather(1, labels[keep][:, None])[:, 0]
    return ((1 - log_p_t.exp())**gamma * -log_p_t).mean()


class ReferenceClover(nn.Module):
    """Clover pre-training as the official ``CloverPretrain`` computes it.

    Args:
        swin (dict): mmaction2 ``SwinTransformer3D`` keyword arguments
            (``arch``, ``patch_size``, ``window_size``, ``drop_path_rate``).
        bert (dict): ``BertConfig`` keyword arguments of the text encoder
            and the fusion encoder (the latter with ``fusion_layers``).
        fusion_layers (int): Fusion encoder depth (Clover: 3).
        num_temporal_slots (int): Temporal position embeddings (Clover: 4).
        num_spatial_tokens (int): Spatial tokens per slot (Clover: 49).
        heads (dict): ``(hidden, out)`` widths of ``g_v``, ``g_t``, ``h_V``,
            ``h_T``, e.g. ``dict(g_v=(1536, 768), ...)``.
        fused_text_dropout (float): ``h_T``'s dropout (Clover: 0.1).
        temperature (float): Tri-modal temperature (Clover: 0.05).
        margin (float): Ranking margin (Clover: 5).
        gamma (float): Focal exponent (Clover: 2).
    """

    def __init__(self, swin: dict, bert: dict, fusion_layers: int,
                 num_temporal_slots: int, num_spatial_tokens: int,
                 heads: Dict[str, Tuple[int, int]],
                 fused_text_dropout: float, temperature: float,
                 margin: float, gamma: float) -> None:
        super().__init__()
        # mmaction2's presets all have 4 stages.
        arch = swin['arch']
        self.last_stage = (len(arch['depths'])
                           if isinstance(arch, dict) else 4) - 1
        self.swin = load_mmaction_swin().SwinTransformer3D(
            pretrained2d=False, out_indices=(self.last_stage, ), **swin)
        channels = self.swin.num_features[self.last_stage]
        self.mask_token = nn.Parameter(
            torch.zeros(1, self.swin.embed_dims, 1, 1, 1))
        nn.init.trunc_normal_(self.mask_token, std=.02)

        text_config = BertConfig(**bert, attn_implementation='eager')
        self.bert = BertModel(text_config)
        fusion_config = BertConfig(
            **dict(bert, num_hidden_layers=fusion_layers),
            attn_implementation='eager')
        self.fusion_encoder = BertModel(
            fusion_config, add_pooling_layer=False).encoder
        hidden = text_config.hidden_size
        self.fc_in = nn.Linear(channels, hidden)
        self.vis_space_pos = nn.Parameter(
            0.02 * torch.randn(1, 1, num_spatial_tokens, hidden))
        self.vis_tempor_pos = nn.Parameter(
            0.02 * torch.randn(1, num_temporal_slots, 1, hidden))
        self.token_type_embeddings = nn.Embedding(2, hidden)
        self.fusion_ln = nn.LayerNorm(hidden)

        self.g_v = _mlp(channels, *heads['g_v'], norm=True)
        self.g_t = _mlp(hidden, *heads['g_t'], norm=False)
        self.h_v = _mlp(hidden, *heads['h_V'], norm=True)
        self.h_t = _mlp(
            hidden, *heads['h_T'], norm=False, dropout=fused_text_dropout)
        self.mlm_transform = BertPredictionHeadTransform(text_config)
        self.mlm_decoder = nn.Linear(hidden, text_config.vocab_size)
        self.temperature = temperature
        self.margin = margin
        self.gamma = gamma

    def encode_video(self, imgs: torch.Tensor,
                     mask: torch.Tensor = None) -> torch.Tensor:
        """mmaction2's forward with the mask token after patch embedding.

        Args:
            imgs (Tensor): ``(B, 3, T, H, W)`` normalised clips.
            mask (Tensor, optional): ``(B, h, w)`` bool coarse mask,
                up-sampled to the patch grid and shared over time.

        Returns:
            Tensor: ``(B, C, T', H', W')`` after the final norm.
        """
        x = self.swin.patch_embed(imgs)  # (B, C, T', H', W')
        if mask is not None:
            scale_h = x.shape[3] // mask.shape[1]
            scale_w = x.shape[4] // mask.shape[2]
            w = mask.repeat_interleave(scale_h, 1).repeat_interleave(
                scale_w, 2)[:, None, None].to(x.dtype)
            x = x * (1 - w) + self.mask_token * w
        x = self.swin.pos_drop(x)
        for i, layer in enumerate(self.swin.layers):
            x = layer(x.contiguous())  # (B, T', H', W', C), merged
            if i < self.last_stage:
                x = x.permute(0, 4, 1, 2, 3)
        x = getattr(self.swin, f'norm{self.last_stage}')(x)
        return x.permute(0, 4, 1, 2, 3).contiguous()

    def fuse(self, feat: torch.Tensor, text_hidden: torch.Tensor,
             text_mask: torch.Tensor) -> torch.Tensor:
        """The official cross-modal transformer; returns the text-position
        outputs ``(B, L, D)``."""
        batch, _, time = feat.shape[:3]
        video = self.fc_in(feat.flatten(3).permute(0, 2, 3, 1))
        video = video + self.vis_space_pos + self.vis_tempor_pos[:, :time]
        video = video.reshape(batch, -1, video.shape[-1])
        video = self.fusion_ln(video + self.token_type_embeddings.weight[0])
        text = text_hidden + self.token_type_embeddings.weight[1]
        tokens = torch.cat([video, text], dim=1)
        mask = torch.cat([text_mask.new_ones(batch, video.shape[1]),
                          text_mask], dim=1)
        extended = (1.0 - mask[:, None, None, :].to(tokens.dtype)) * \
            torch.finfo(tokens.dtype).min
        out = self.fusion_encoder(tokens, attention_mask=extended)
        out = out[0] if isinstance(out, tuple) else out.last_hidden_state
        return out[:, video.shape[1]:]

    def forward(self, imgs: torch.Tensor, video_mask: torch.Tensor,
                text_ids: torch.Tensor, text_mask: torch.Tensor,
                masked_text_ids: torch.Tensor,
                mlm_labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The five pre-training losses of one batch (the official keys
        renamed to the project's).

        Args:
            imgs (Tensor): ``(B, 3, T, H, W)`` normalised clips.
            video_mask (Tensor): ``(B, h, w)`` bool.
            text_ids, text_mask, masked_text_ids, mlm_labels (Tensor):
                ``(B, L)``.
        """
        feat = self.encode_video(imgs)
        masked_feat = self.encode_video(imgs, video_mask)
        hidden = self.bert(text_ids, attention_mask=text_mask)[0]
        masked_hidden = self.bert(masked_text_ids, attention_mask=text_mask)[0]
        v = self.g_v(feat.flatten(2).mean(2))
        vm = self.g_v(masked_feat.flatten(2).mean(2))
        t = self.g_t(hidden[:, 0])
        tm = self.g_t(masked_hidden[:, 0])
        fused_masked_video = self.fuse(masked_feat, hidden, text_mask)
        fused_masked_text = self.fuse(feat, masked_hidden, text_mask)
        fv = self.h_v(fused_masked_video[:, 0])
        ft = self.h_t(fused_masked_text[:, 0])
        logits = self.mlm_decoder(self.mlm_transform(fused_masked_text))
        nce, rank = exclusive_nce_with_ranking(v, t, tm, fv, self.temperature,
                                               self.margin)
        v_nce, v_rank = exclusive_nce_with_ranking(t, v, vm, ft,
                                                   self.temperature,
                                                   self.margin)
        return dict(
            loss_mlm=focal_mlm(logits, mlm_labels, self.gamma),
            loss_nce=nce,
            loss_rank=rank,
            loss_v_nce=v_nce,
            loss_v_rank=v_rank)
