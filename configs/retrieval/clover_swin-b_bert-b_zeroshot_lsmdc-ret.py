# Zero-shot LSMDC text-to-video retrieval of a pre-trained Clover
# (docs/method.md §4.2): dual-encoder cosine, 32 centre-cropped frames and
# the fine-tuned config's test text length (40 tokens). Test only:
#
#     python tools/test.py \
#         configs/retrieval/clover_swin-b_bert-b_zeroshot_lsmdc-ret.py \
#         work_dirs/clover_webvid_cc3m/epoch_40.pth
#
# The checkpoint loads non-strictly: the pre-training-only weights (fusion,
# MLM and fused heads, the video mask token) are reported and left out.
_base_ = [
    '../_base_/models/clover_retrieval_swin-b_bert-b.py',
    '../_base_/datasets/lsmdc_retrieval.py', '../_base_/default_runtime.py'
]

test_cfg = dict(type='TestLoop')
train_dataloader = None
val_dataloader = None
val_evaluator = None
