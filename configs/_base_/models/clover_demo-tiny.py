# Clover at CPU-demo scale. The encoders are named variables so that the
# downstream demo configs reuse them (`{{_base_.video_encoder}}`...), and
# `model` is the pre-training model: the retrieval demo's towers (a small
# Video Swin from scratch; the 6-layer MiniLM BERT, top 2 layers trained,
# mean pooling) plus a 2-layer fusion encoder initialised from MiniLM's
# first 2 layers, a fresh MLM head (MiniLM ships none), the four projection
# heads onto a 128-d space, tri-modal alignment in both directions and focal
# MLM: every loss term of the full model.
_base_ = ['./clover_pretrain_losses.py']

minilm_dir = 'data/pretrained/all-MiniLM-L6-v2'
video_encoder = dict(
    type='SwinTransformer3D',
    arch=dict(embed_dims=32, depths=[1, 1, 2, 1], num_heads=[2, 4, 8, 8]),
    patch_size=(2, 4, 4),
    window_size=(4, 4, 4),
    # No stochastic depth or weight decay: in the demos' short runs the
    # small model underfits, and regularisation only slows it down.
    drop_path_rate=0.)
text_encoder = dict(
    type='BertTextEncoder',
    pretrained=minilm_dir,
    pooling='mean',
    # Only the top 2 of 6 layers train: backward through the whole tower
    # would cost more than the video tower's.
    frozen_layers=4)
# 8 frames -> 4 temporal tokens; 64 px -> a 2 x 2 grid.
fusion = dict(
    type='FusionTransformer',
    video_channels=256,
    pretrained=minilm_dir,
    num_layers=2,
    num_temporal_slots=4,
    num_spatial_tokens=4)


model = dict(
    type='CloverPretrain',
    data_preprocessor=dict(type='VideoTextDataPreprocessor'),
    # The mask token embeds the masked video sample (pre-training only).
    video_encoder=dict(video_encoder, use_mask_token=True),
    text_encoder=text_encoder,
    retrieval_head=dict(
        type='RetrievalHead',
        video_proj=dict(  # g_v
            type='ProjectionHead',
            in_channels=256,
            hidden_channels=256,
            out_channels=128,
            norm=True),
        text_proj=dict(  # g_t
            type='ProjectionHead',
            in_channels=384,
            hidden_channels=256,
            out_channels=128,
            norm=False),
        loss=None),
    fusion=fusion,
    pretrain_head=dict(
        _base_.pretrain_losses,
        type='PretrainHead',
        fused_video_proj=dict(  # h_V
            type='ProjectionHead',
            in_channels=384,
            hidden_channels=256,
            out_channels=128,
            norm=True),
        fused_text_proj=dict(  # h_T
            type='ProjectionHead',
            in_channels=384,
            hidden_channels=256,
            out_channels=128,
            norm=False,
            dropout=0.1),
        # MiniLM has no MLM weights: the head starts random (logged).
        mlm_head=dict(type='MLMHead', pretrained=minilm_dir)))
