# Fine-tuning optimisation of Clover's QA tasks (docs/method.md §4):
# AdamW (0.9, 0.98, 1e-8) at 1.2e-5 for the stated global batch, QA head at
# 10x that lr, no weight decay on norms and biases, gradient clipping at 50,
# fp16 with a dynamic loss scale, 20 epochs: a per-iteration cosine to 0
# over all epochs times a linear warm-up from 1e-4 over the first 2 (as
# mmcv's CosineAnnealing with a linear warm-up: both run from the start and
# their factors multiply). Leaf configs change the epochs, the weight decay,
# the lr and whether the cosine steps per epoch (by_epoch=True in the
# official MSRVTT-QA and TGIF-Action / Transition configs).
#
# Learning rate: the official configs set base_lr = lr / global batch and
# the train script multiplies it back, so the lr holds at the paper's
# global batch (auto_scale_lr.base_batch_size in each leaf). The leaves
# enable auto_scale_lr, so on another number of GPUs the lr scales linearly,
# as the official scripts did (`--cfg-options auto_scale_lr.enable=False`
# keeps it fixed); the run prints the scaled lr.
#
# As in the official (mmcv) optimizer constructor, a parameter matched by a
# custom key gets that key's settings only: the QA head's biases and
# LayerNorm keep the full weight decay.
_base_ = ['./adamw_common.py']

max_epochs = 20
warmup_epochs = 2
base_lr = 1.2e-5

optim_wrapper = dict(
    # AmpOptimWrapper's default loss scale is dynamic, as the official mmcv
    # fp16 hook. `--cfg-options optim_wrapper.type=OptimWrapper` trains in
    # fp32 (e.g. on CPU).
    type='AmpOptimWrapper',
    optimizer=dict(lr=base_lr, weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={'qa_head': dict(lr_mult=10.)}),
    clip_grad=dict(max_norm=50.))
param_scheduler = [
    dict(_base_.warmup, start_factor=1e-4, end=warmup_epochs),
    dict(
        _base_.cosine,
        T_max=max_epochs,
        eta_min=0.,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
