# CPU demo of Clover pre-training: the synthetic corpus' videos and still
# frames alternate as the video and image sources (as WebVid and CC3M in
# configs/pretrain/clover_webvid_cc3m.py), all five loss terms, zero-shot
# retrieval on the demo's val split after every epoch. Run it with
# `bash tools/demo_pretrain.sh`; `tools/analysis/pretrain_ablation.py`
# trains it with loss terms switched off under the same budget.
_base_ = [
    '../_base_/models/clover_demo-tiny.py',
    '../_base_/datasets/demo_pretrain.py', '../_base_/default_runtime.py'
]

max_epochs = 3
train_cfg = dict(
    type='MultiSourceTrainLoop',
    max_epochs=max_epochs,
    val_interval=1,
    other_dataloaders=[{{_base_.image_dataloader}}],
    source_names=('video', 'image'))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.98), weight_decay=0.),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={
            'relative_position_bias_table': dict(decay_mult=0.),
            # The pre-trained BERT layers (text tower and fusion encoder)
            # move slowly; the fresh parts at the full rate.
            'text_encoder': dict(lr_mult=0.1),
            'fusion.encoder': dict(lr_mult=0.1),
        }),
    clip_grad=dict(max_norm=5.))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-6,
         by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True),
]
custom_hooks = [dict(type='EMAHook', momentum=0.01, update_buffers=True)]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=1, max_keep_ckpts=1))
