# The optimizer settings shared by Clover's pre-training and fine-tuning
# schedules (docs/method.md §3, §4): AdamW (0.9, 0.98, eps 1e-8) without
# weight decay on norms and biases, and the two parts of the lr schedule.
# Each schedule sets the lr, the weight decay, the clipping, the precision
# and the epochs, factors and steps of the lr schedule.
optim_wrapper = dict(
    optimizer=dict(type='AdamW', betas=(0.9, 0.98), eps=1e-8),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.))
# A linear warm-up from start_factor x lr, stepping every iteration, and a
# cosine, both counted in epochs; a schedule sets their epochs
# (`dict(warmup, end=...)`) and whether the cosine steps every iteration.
warmup = dict(
    type='LinearLR',
    start_factor=1e-3,
    by_epoch=True,
    begin=0,
    convert_to_iter_based=True)
cosine = dict(type='CosineAnnealingLR', by_epoch=True)
test_cfg = dict(type='TestLoop')
