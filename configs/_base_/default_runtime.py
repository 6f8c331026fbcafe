default_scope = 'clover'
# CloverRunner = MMEngine's Runner + distributed CPU (gloo) support.
runner_type = 'CloverRunner'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    # Resumable checkpoints within an epoch (iter_<n>.pth): off here; long
    # recipes set `interval` (iterations) or `interval_minutes`.
    iter_checkpoint=dict(
        type='IterCheckpointHook', interval=-1, interval_minutes=None,
        max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Seeds the model's randomness from (seed, iteration) and continues a
    # mid-epoch checkpoint at its next batch (train samplers are
    # ResumableSampler, which also seeds each sample's augmentation).
    exact_resume=dict(type='ExactResumeHook'))

# Warns when the contrastive loss sits at its chance value (collapsed
# embeddings); inert in runs that log no InfoNCE loss. A leaf that sets its
# own custom_hooks lists it again.
custom_hooks = [dict(type='ContrastiveCollapseHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # CloverRunner switches to gloo on machines without CUDA.
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_level = 'INFO'
# 'quiet': progress bars, metrics and warnings on the terminal, everything
# else in the log file of the work dir; 'verbose': MMEngine's full console.
console_mode = 'quiet'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
