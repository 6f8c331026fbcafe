# CPU demo of Clover pre-training: the synthetic corpus' videos and still
# frames alternate as the video and image sources (as WebVid and CC3M in
# configs/pretrain/clover_webvid_cc3m.py), all five loss terms, zero-shot
# retrieval on the demo's val split after every epoch. Run it with
# `bash tools/demo_pretrain.sh`; `tools/analysis/pretrain_ablation.py`
# trains it with loss terms switched off under the same budget.
_base_ = [
    '../_base_/models/clover_demo-tiny.py',
    '../_base_/datasets/demo_pretrain.py',
    '../_base_/schedules/demo_adamw.py', '../_base_/default_runtime.py'
]

max_epochs = 3
train_cfg = dict(
    type='MultiSourceTrainLoop',
    max_epochs=max_epochs,
    val_interval=1,
    other_dataloaders=[{{_base_.image_dataloader}}],
    source_names=('video', 'image'))

optim_wrapper = dict(
    optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(
        custom_keys={
            # The pre-trained BERT layers (text tower and fusion encoder)
            # move slowly; the fresh parts at the full rate.
            'text_encoder': dict(lr_mult=0.1),
            'fusion.encoder': dict(lr_mult=0.1),
        }))
param_scheduler = [
    dict(_base_.warmup, start_factor=0.01),
    dict(_base_.cosine, T_max=max_epochs - 1, end=max_epochs),
]
custom_hooks = [dict(type='EMAHook', momentum=0.01, update_buffers=True)]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=1, max_keep_ckpts=1))
