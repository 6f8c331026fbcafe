# Clover fine-tuned on MSR-VTT 9k, tested on 1k-A text-to-video retrieval
# (docs/method.md §4.1): 12 training frames, 32 test frames (centre crop
# 224), text length 30 / 25, 8 GPUs x 16 clips, 100 epochs (10 warm-up),
# lr 1.2e-5, fp16.
#
#     bash tools/dist_train.sh \
#         configs/retrieval/clover_swin-b_bert-b_8xb16-100e_msrvtt-1k-ret.py \
#         8 \
#         --cfg-options load_from=work_dirs/clover_webvid_cc3m/epoch_40.pth
#     python tools/test.py \
#         configs/retrieval/clover_swin-b_bert-b_8xb16-100e_msrvtt-1k-ret.py \
#         work_dirs/clover_swin-b_bert-b_8xb16-100e_msrvtt-1k-ret/epoch_100.pth
#
# Validation after each epoch runs on the TEST split (MSR-VTT has no val
# split), for monitoring only: report the last epoch, not the best one.
_base_ = [
    '../_base_/models/clover_retrieval_swin-b_bert-b.py',
    '../_base_/datasets/msrvtt_retrieval.py',
    '../_base_/schedules/finetune_retrieval.py',
    '../_base_/default_runtime.py'
]

# fp16 with AmpOptimWrapper's default dynamic loss scale.
optim_wrapper = dict(type='AmpOptimWrapper')
auto_scale_lr = dict(base_batch_size=8 * 16, enable=True)
# The official gradient of the gathered InfoNCE (each rank keeps its own
# rows' slice of the global loss), which the paper's lr and clipping were
# tuned with; grad_mode='exact' is the alternative (docs/method.md).
model = dict(retrieval_head=dict(loss=dict(grad_mode='official')))
# The dual encoder uses every parameter in each step.
find_unused_parameters = False
# The pre-training checkpoint (e.g. work_dirs/clover_webvid_cc3m/
# epoch_40.pth): pass it with `--cfg-options load_from=...`. It loads
# non-strictly; the pre-training-only weights (fusion, MLM and fused heads,
# the video mask token) are left out.
load_from = None
