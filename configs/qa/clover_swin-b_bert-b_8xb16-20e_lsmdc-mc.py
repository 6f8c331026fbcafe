# Clover fine-tuned on LSMDC multiple choice: 5 candidate captions, each
# scored by the MC head on the clip fused with ' Options: <all five>
# Answer: <candidate>' (the official text, empty question; up to 256
# tokens); 8 -> 8 frames (test squashed to 224 x 224), 8 GPUs x 16 clips,
# 20 epochs (2 warm-up) with a per-iteration cosine, lr 1.2e-5 (MC head
# x10), weight decay 0.01, clip 50, fp32 (the official config trains
# without fp16). Checkpoint selection on the val split (lsmdc_mc/acc).
#
#     bash tools/dist_train.sh \
#         configs/qa/clover_swin-b_bert-b_8xb16-20e_lsmdc-mc.py 8 \
#         --cfg-options load_from=PRETRAIN.pth
#     python tools/test.py \
#         configs/qa/clover_swin-b_bert-b_8xb16-20e_lsmdc-mc.py CKPT
_base_ = [
    '../_base_/models/clover_mc_swin-b_bert-b.py',
    '../_base_/datasets/lsmdc_mc.py', '../_base_/schedules/finetune_qa.py',
    '../_base_/default_runtime.py'
]

train_dataloader = dict(batch_size=16)
val_dataloader = dict(batch_size=16)
test_dataloader = dict(batch_size=16)
optim_wrapper = dict(type='OptimWrapper')
default_hooks = dict(
    checkpoint=dict(save_best='lsmdc_mc/acc', rule='greater'))
auto_scale_lr = dict(base_batch_size=8 * 16, enable=True)
# The pre-training checkpoint: pass it with `--cfg-options load_from=...`.
load_from = None
