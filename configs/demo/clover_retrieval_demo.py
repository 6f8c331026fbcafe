# CPU demo: text-video retrieval on the synthetic corpus, a few minutes on a
# 2-core laptop. A small Video Swin trained from scratch; the text tower is
# the 6-layer MiniLM BERT (all-MiniLM-L6-v2 weights, bert-base-uncased vocab)
# with mean pooling. Prepare data and weights with `bash tools/demo.sh`.
_base_ = [
    '../_base_/datasets/demo_retrieval.py', '../_base_/default_runtime.py'
]

model = dict(
    type='CloverRetrieval',
    data_preprocessor=dict(type='VideoTextDataPreprocessor'),
    video_encoder=dict(
        type='SwinTransformer3D',
        arch=dict(embed_dims=32, depths=[1, 1, 2, 1], num_heads=[2, 4, 8, 8]),
        patch_size=(2, 4, 4),
        window_size=(4, 4, 4),
        # No stochastic depth or weight decay: in this short run the small
        # model underfits, and regularisation only slows it down.
        drop_path_rate=0.),
    text_encoder=dict(
        type='BertTextEncoder',
        pretrained='data/pretrained/all-MiniLM-L6-v2',
        pooling='mean',
        # Only the top 2 of 6 layers train: backward through the whole
        # tower would cost more than the video tower's.
        frozen_layers=4),
    retrieval_head=dict(
        type='RetrievalHead',
        video_proj=dict(
            type='ProjectionHead',
            in_channels=256,
            hidden_channels=256,
            out_channels=128,
            norm=True),
        text_proj=dict(
            type='ProjectionHead',
            in_channels=384,
            hidden_channels=256,
            out_channels=128,
            norm=False),
        loss=dict(type='InfoNCELoss', temperature=0.05)))

max_epochs = 22
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.98), weight_decay=0.),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={
            'relative_position_bias_table': dict(decay_mult=0.),
            'text_encoder': dict(lr_mult=0.1),
        }),
    clip_grad=dict(max_norm=5.))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-6,
         by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True),
]

# An exponential moving average of the weights is what validation, test and
# the checkpoints use: it smooths the epoch-to-epoch noise of a short run.
# RetrievalVisHook: contact sheets of 4 validation captions (top 5 videos,
# the right one framed) at every validation, written by the vis backends
# (PNGs under WORK_DIR/<timestamp>/vis_data/vis_image).
# The collapse check of default_runtime.py is kept.
custom_hooks = [
    dict(type='EMAHook', momentum=0.01, update_buffers=True),
    dict(type='RetrievalVisHook', num_queries=4, topk=5),
    dict(type='ContrastiveCollapseHook'),
]

default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(
        interval=1, max_keep_ckpts=1, save_best='dual/t2v/R@1', rule='greater'))
