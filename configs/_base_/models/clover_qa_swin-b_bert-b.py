# Clover's fusion fine-tuning model for video QA (docs/method.md §1, §4.1):
# the shared Video Swin-B and BERT-base encoders feed the 3-layer fusion
# encoder; the answer is read at the fused text [CLS]. Open-ended QA by
# default (OpenEndedQAHead: 1500 answers, dropout 0.1); the leaf configs set
# the answer vocabulary, the dropout, the [MASK] read-out and fusion token
# (LSMDC-FiB) or the multiple-choice model and head.
#
# Weights: fine-tuning starts from a pre-training checkpoint passed as
# `load_from` (non-strict: only `qa_head.*` is new; the pre-training heads
# and `video_encoder.mask_token` are unexpected keys, which is expected), so
# the Swin backbone has no separate checkpoint here. The BERT directory gives
# the tokenizer, the text encoder's architecture and the fusion layers'
# architecture.
_base_ = ['./clover_swin-b_bert-b.py']

model = dict(
    type='CloverVideoQA',
    # The mask token is a pre-training-only parameter: building it here
    # would leave a parameter without gradient (docs/method.md §5).
    video_encoder=dict(use_mask_token=False),
    # No dual-encoder embeddings: nothing here would train g_v / g_t.
    retrieval_head=None,
    fusion={{_base_.fusion}},
    qa_head=dict(
        type='OpenEndedQAHead', in_channels=768, num_answers=1500,
        dropout=0.1))

# The QA models build only what their forward uses (no mask token, no
# dual-encoder heads, no unused fusion embeddings), so every trainable
# parameter gets a gradient in every step and DDP needs no unused-parameter
# search (the official configs' mix of True / False is not copied).
find_unused_parameters = False
