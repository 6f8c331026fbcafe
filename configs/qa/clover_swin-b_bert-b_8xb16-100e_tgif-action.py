# Clover fine-tuned on TGIF-Action (docs/method.md §4.1): 5-way multiple
# choice, each candidate fused alone as "{question} Options: {options}
# Answer: {candidate}" (up to 100 tokens) and scored by the MC head; 8
# training frames, test on 4 views x 8 frames (Swin features averaged over
# the views), 8 GPUs x 16 clips, 100 epochs (10 warm-up) with the cosine
# stepping once per epoch, lr 5e-6 (MC head x10), weight decay 0.01, clip
# 50, fp16. TGIF-QA has no val split: no validation, no best checkpoint;
# report the last epoch.
#
#     bash tools/dist_train.sh \
#         configs/qa/clover_swin-b_bert-b_8xb16-100e_tgif-action.py 8 \
#         --cfg-options load_from=PRETRAIN.pth
#     python tools/test.py \
#         configs/qa/clover_swin-b_bert-b_8xb16-100e_tgif-action.py \
#         work_dirs/clover_swin-b_bert-b_8xb16-100e_tgif-action/epoch_100.pth
_base_ = [
    '../_base_/models/clover_mc_swin-b_bert-b.py',
    '../_base_/datasets/tgif_qa.py', '../_base_/schedules/finetune_qa.py',
    '../_base_/default_runtime.py'
]

train_dataloader = _base_.action_train_dataloader
test_dataloader = _base_.action_test_dataloader
test_evaluator = dict(type='VideoQAAccuracy', prefix='tgif_action')

optim_wrapper = dict(optimizer=dict(lr=5e-6))
max_epochs = 100
warmup_epochs = 10
param_scheduler = [
    dict(_base_.param_scheduler[0], end=warmup_epochs),
    dict(
        _base_.param_scheduler[1],
        T_max=max_epochs,
        end=max_epochs,
        convert_to_iter_based=False),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=8 * 16, enable=True)
# The pre-training checkpoint: pass it with `--cfg-options load_from=...`.
load_from = None
