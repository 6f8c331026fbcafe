# Clover fine-tuned on MSVD-QA (docs/method.md §4.1): open-ended QA over
# 1000 answers (head dropout 0.5), 8 -> 8 frames (test squashed to 224 x
# 224), questions of up to 40 tokens, 8 GPUs x 16 clips, 40 epochs (4
# warm-up) with a per-iteration cosine, lr 1.2e-5 (QA head x10), weight
# decay 0.01, clip 50, fp16. Checkpoint selection on the val split
# (msvd_qa/acc).
#
#     bash tools/dist_train.sh \
#         configs/qa/clover_swin-b_bert-b_8xb16-40e_msvd-qa.py 8 \
#         --cfg-options load_from=PRETRAIN.pth
#     python tools/test.py \
#         configs/qa/clover_swin-b_bert-b_8xb16-40e_msvd-qa.py CKPT
_base_ = [
    '../_base_/models/clover_qa_swin-b_bert-b.py',
    '../_base_/datasets/msvd_qa.py', '../_base_/schedules/finetune_qa.py',
    '../_base_/default_runtime.py'
]

model = dict(qa_head=dict(num_answers=1000, dropout=0.5))
train_dataloader = dict(batch_size=16)
val_dataloader = dict(batch_size=16)
test_dataloader = dict(batch_size=16)

max_epochs = 40
warmup_epochs = 4
param_scheduler = [
    dict(_base_.param_scheduler[0], end=warmup_epochs),
    dict(_base_.param_scheduler[1], T_max=max_epochs, end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(save_best='msvd_qa/acc', rule='greater'))
auto_scale_lr = dict(base_batch_size=8 * 16, enable=True)
# The pre-training checkpoint: pass it with `--cfg-options load_from=...`.
load_from = None
