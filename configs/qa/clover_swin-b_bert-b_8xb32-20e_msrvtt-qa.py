# Clover fine-tuned on MSRVTT-QA (docs/method.md §4.1): open-ended QA over
# 1500 answers (head dropout 0.1), 8 -> 8 frames (test squashed to 224 x
# 224, no crop), questions of up to 40 tokens, 8 GPUs x 32 clips, 20 epochs
# (2 warm-up) with the cosine stepping once per epoch, lr 1.2e-5 (QA head
# x10), weight decay 0.001, clip 50, fp16. Checkpoint selection on the val
# split (msrvtt_qa/acc).
#
#     bash tools/dist_train.sh \
#         configs/qa/clover_swin-b_bert-b_8xb32-20e_msrvtt-qa.py 8 \
#         --cfg-options load_from=PRETRAIN.pth
#     python tools/test.py \
#         configs/qa/clover_swin-b_bert-b_8xb32-20e_msrvtt-qa.py \
#         work_dirs/clover_swin-b_bert-b_8xb32-20e_msrvtt-qa/best_*.pth
_base_ = [
    '../_base_/models/clover_qa_swin-b_bert-b.py',
    '../_base_/datasets/msrvtt_qa.py', '../_base_/schedules/finetune_qa.py',
    '../_base_/default_runtime.py'
]

model = dict(qa_head=dict(num_answers=1500, dropout=0.1))
optim_wrapper = dict(optimizer=dict(weight_decay=0.001))
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], convert_to_iter_based=False),
]
default_hooks = dict(
    checkpoint=dict(save_best='msrvtt_qa/acc', rule='greater'))
auto_scale_lr = dict(base_batch_size=8 * 32, enable=True)
# The pre-training checkpoint: pass it with `--cfg-options load_from=...`.
load_from = None
