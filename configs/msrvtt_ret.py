# Short path of the fine-tuned MSR-VTT 1k-A retrieval config:
#     python tools/test.py configs/msrvtt_ret.py CHECKPOINT
# takes a fine-tuned checkpoint, or a pre-training one (zero-shot, with the
# fine-tuned protocol's 25-token test texts); see
# configs/retrieval/clover_swin-b_bert-b_8xb16-100e_msrvtt-1k-ret.py.
_base_ = ['./retrieval/clover_swin-b_bert-b_8xb16-100e_msrvtt-1k-ret.py']
