# Zero-shot MSR-VTT 1k-A text-to-video retrieval of a pre-trained Clover
# (docs/method.md §4.2): dual-encoder cosine, 32 centre-cropped frames.
# Texts are cut at 30 tokens, as in the official pre-training's zero-shot
# evaluation (the fine-tuned test uses 25). Test only:
#
#     python tools/test.py \
#         configs/retrieval/clover_swin-b_bert-b_zeroshot_msrvtt-1k-ret.py \
#         work_dirs/clover_webvid_cc3m/epoch_40.pth
#
# The checkpoint loads non-strictly: the pre-training-only weights (fusion,
# MLM and fused heads, the video mask token) are reported and left out.
_base_ = [
    '../_base_/models/clover_retrieval_swin-b_bert-b.py',
    '../_base_/datasets/msrvtt_retrieval.py', '../_base_/default_runtime.py'
]

test_pipeline = _base_.test_video_steps + [
    _base_.all_captions,
    dict(_base_.tokenize, max_length=30), _base_.pack
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_cfg = dict(type='TestLoop')
train_dataloader = None
val_dataloader = None
val_evaluator = None
