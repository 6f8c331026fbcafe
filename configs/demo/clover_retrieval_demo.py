# CPU demo: text-video retrieval on the synthetic corpus, a few minutes on a
# 2-core laptop. A small Video Swin trained from scratch; the text tower is
# the 6-layer MiniLM BERT (all-MiniLM-L6-v2 weights, bert-base-uncased vocab)
# with mean pooling. Prepare data and weights with `bash tools/demo.sh`.
_base_ = [
    '../_base_/models/clover_demo-tiny.py',
    '../_base_/datasets/demo_retrieval.py',
    '../_base_/schedules/demo_adamw.py', '../_base_/default_runtime.py'
]

# The dual encoder of clover_demo-tiny.py: its towers and g_v / g_t, trained
# with InfoNCE at temperature 0.1 (0.05 learnt less on both synthetic
# corpora, README).
model = dict(
    _delete_=True,
    type='CloverRetrieval',
    data_preprocessor=dict(type='VideoTextDataPreprocessor'),
    video_encoder=_base_.video_encoder,
    text_encoder=_base_.text_encoder,
    retrieval_head=dict(
        _base_.model.retrieval_head,
        loss=dict(type='InfoNCELoss', temperature=0.1)))

max_epochs = 22
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
optim_wrapper = dict(
    optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(custom_keys={'text_encoder': dict(lr_mult=0.1)}))
# Five epochs of warm-up, not one: Adam moves every weight by about the lr
# per step, and a from-scratch video tower whose lr reaches 1e-3 within a
# few dozen steps loses its deep stages' differences between clips (all
# video embeddings become one; the loss then sits at 2 ln N). README, "A
# second corpus: motion", has the measurements.
warmup_epochs = 5
param_scheduler = [
    dict(_base_.warmup, start_factor=0.01, end=warmup_epochs),
    dict(
        _base_.cosine,
        begin=warmup_epochs,
        T_max=max_epochs - warmup_epochs,
        end=max_epochs),
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

# The best checkpoint is the best validation R@1 + R@5 + R@10 - MdR: on a
# validation split of 100 videos R@1 alone moves by one caption's 0.4 and
# ties between epochs (the earliest wins), the sum of the four is steadier.
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(
        interval=1,
        max_keep_ckpts=1,
        save_best='dual/t2v/Recall@all',
        rule='greater'))
