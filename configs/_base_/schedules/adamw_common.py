# The optimizer settings shared by Clover's pre-training and fine-tuning
# schedules (clover_method.md §3, §4): AdamW (0.9, 0.98, eps 1e-8) without
# weight decay on norms and biases. Each schedule sets the lr, the weight
# decay, the clipping, the precision and the lr schedule.
optim_wrapper = dict(
    optimizer=dict(type='AdamW', betas=(0.9, 0.98), eps=1e-8),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.))
test_cfg = dict(type='TestLoop')
