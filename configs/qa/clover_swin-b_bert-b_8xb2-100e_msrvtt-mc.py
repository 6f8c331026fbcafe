# Clover on MSRVTT multiple choice (docs/method.md §4.1), retrieval style:
# the dual encoder fine-tuned with InfoNCE (tau 0.05) on MSR-VTT 9k
# retrieval data at 8 frames, tested by the cosine of the video embedding
# (32 frames, centre crop) with each of 5 candidate captions; 8 GPUs x 2
# clips, 100 epochs (10 warm-up from 1e-3 x lr, cosine stepping per epoch),
# lr 1.2e-5, weight decay 0.01, clip 5, fp16. No val split: no validation,
# no best checkpoint; report the last epoch.
#
#     bash tools/dist_train.sh \
#         configs/qa/clover_swin-b_bert-b_8xb2-100e_msrvtt-mc.py 8 \
#         --cfg-options load_from=PRETRAIN.pth
#     python tools/test.py \
#         configs/qa/clover_swin-b_bert-b_8xb2-100e_msrvtt-mc.py \
#         work_dirs/clover_swin-b_bert-b_8xb2-100e_msrvtt-mc/epoch_100.pth
_base_ = [
    '../_base_/models/clover_retrieval_swin-b_bert-b.py',
    '../_base_/datasets/msrvtt_mc.py',
    '../_base_/schedules/finetune_retrieval.py',
    '../_base_/default_runtime.py'
]

optim_wrapper = dict(type='AmpOptimWrapper')
val_cfg = None
auto_scale_lr = dict(base_batch_size=8 * 2, enable=True)
# The official gradient of the gathered InfoNCE (each rank keeps its own
# rows' slice of the global loss), which the paper's lr and clipping were
# tuned with; grad_mode='exact' is the alternative (docs/method.md).
model = dict(retrieval_head=dict(loss=dict(grad_mode='official')))
# The dual encoder uses every parameter in each step.
find_unused_parameters = False
# The pre-training checkpoint: pass it with `--cfg-options load_from=...`.
load_from = None
