# Clover fine-tuned on TGIF-Transition (docs/method.md §4.1): 5-way multiple
# choice, each candidate fused alone as "{question} Options: {options}
# Answer: {candidate}" (up to 100 tokens) and scored by the MC head; 8
# training frames, test on 4 views x 8 frames (Swin features averaged over
# the views), 8 GPUs x 16 clips, 50 epochs (5 warm-up) with the cosine
# stepping once per epoch, lr 5e-6 (MC head x10), weight decay 0.01, clip
# 50, fp16. TGIF-QA has no val split: no validation, no best checkpoint;
# report the last epoch.
#
#     bash tools/dist_train.sh \
#         configs/qa/clover_swin-b_bert-b_8xb16-50e_tgif-transition.py 8 \
#         --cfg-options load_from=PRETRAIN.pth
#     python tools/test.py \
#         configs/qa/clover_swin-b_bert-b_8xb16-50e_tgif-transition.py \
#         work_dirs/clover_swin-b_bert-b_8xb16-50e_tgif-transition/epoch_50.pth
# Same model, data protocol and optimisation as TGIF-Action; only the task's
# loaders, the metric prefix and the epochs differ.
_base_ = ['./clover_swin-b_bert-b_8xb16-100e_tgif-action.py']

train_dataloader = _base_.transition_train_dataloader
test_dataloader = _base_.transition_test_dataloader
test_evaluator = dict(prefix='tgif_transition')

max_epochs = 50
warmup_epochs = 5
param_scheduler = [
    dict(_base_.param_scheduler[0], end=warmup_epochs),
    dict(_base_.param_scheduler[1], T_max=max_epochs, end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs)
