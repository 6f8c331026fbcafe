# The optimisation of the CPU demos: AdamW (0.9, 0.98) without weight decay
# (in these short runs the small models underfit, and regularisation only
# slows them down), gradient clipping at 5, a linear warm-up over the first
# epoch and a cosine to 1e-6 over the rest, both stepping every iteration.
# Each demo sets the lr, the per-part lr multipliers, the warm-up's start
# factor and the epochs (`dict(warmup, start_factor=...)`,
# `dict(cosine, T_max=max_epochs - 1, end=max_epochs)`); the retrieval demo
# also the warm-up's length (`end=`, the cosine's `begin=`).
optim_wrapper = dict(
    optimizer=dict(type='AdamW', betas=(0.9, 0.98), weight_decay=0.),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={'relative_position_bias_table': dict(decay_mult=0.)}),
    clip_grad=dict(max_norm=5.))
warmup = dict(
    type='LinearLR',
    by_epoch=True,
    begin=0,
    end=1,
    convert_to_iter_based=True)
cosine = dict(
    type='CosineAnnealingLR',
    eta_min=1e-6,
    by_epoch=True,
    begin=1,
    convert_to_iter_based=True)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
