# Clover's pre-training optimisation (docs/method.md §3): AdamW at a
# peak lr of 5e-5 for a global batch of 1024 per source, 4 warm-up epochs
# from 1e-3 x lr, then a cosine to 5e-8 at epoch 40; mixed precision and
# gradient clipping at 15. Scheduler epochs are converted to iterations, so
# the lr moves every step; with MultiSourceTrainLoop an epoch's iterations
# count the batches of every source.
_base_ = ['./adamw_common.py']

max_epochs = 40
warmup_epochs = 4
base_lr = 5e-5

optim_wrapper = dict(
    # fp16 with a dynamic loss scale (AmpOptimWrapper's default), as the
    # official mmcv fp16 hook. configs/pretrain/clover_webvid_cc3m_bf16.py
    # is the bf16 recipe; `--cfg-options optim_wrapper.type=OptimWrapper`
    # trains in fp32 (e.g. on CPU).
    type='AmpOptimWrapper',
    optimizer=dict(lr=base_lr, weight_decay=0.005),
    paramwise_cfg=dict(
        custom_keys={'relative_position_bias_table': dict(decay_mult=0.)}),
    clip_grad=dict(max_norm=15.))
param_scheduler = [
    dict(_base_.warmup, end=warmup_epochs),
    dict(
        _base_.cosine,
        T_max=max_epochs - warmup_epochs,
        eta_min=5e-8,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True),
]
val_cfg = dict(type='ValLoop')
