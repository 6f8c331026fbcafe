# Clover fine-tuned on LSMDC fill-in-the-blank (docs/method.md §4.1): the
# fused hidden state at the sentence's single [MASK] token is classified
# over 908 answers (head dropout 0.5); 8 -> 8 frames (test squashed to
# 224 x 224), sentences of up to 200 tokens, 8 GPUs x 16 clips, 20 epochs
# (2 warm-up) with a per-iteration cosine, lr 1.2e-5 (QA head x10), weight
# decay 0.01, clip 50, fp16. Checkpoint selection on the val split
# (lsmdc_fib/acc). As in the official FiB config (use_text_cls=False), a
# learnable token is appended after the video tokens of the fusion input
# (`fusion_token=True`); `fusion_token=False` fuses [video, text] only.
#
#     bash tools/dist_train.sh \
#         configs/qa/clover_swin-b_bert-b_8xb16-20e_lsmdc-fib.py 8 \
#         --cfg-options load_from=PRETRAIN.pth
#     python tools/test.py \
#         configs/qa/clover_swin-b_bert-b_8xb16-20e_lsmdc-fib.py CKPT
_base_ = [
    '../_base_/models/clover_qa_swin-b_bert-b.py',
    '../_base_/datasets/lsmdc_fib.py', '../_base_/schedules/finetune_qa.py',
    '../_base_/default_runtime.py'
]

# [MASK] is token 103 of the bert-base-uncased vocabulary.
model = dict(
    answer_position='mask',
    mask_token_id=103,
    fusion_token=True,
    qa_head=dict(num_answers=908, dropout=0.5))
train_dataloader = dict(batch_size=16)
val_dataloader = dict(batch_size=16)
test_dataloader = dict(batch_size=16)
default_hooks = dict(
    checkpoint=dict(save_best='lsmdc_fib/acc', rule='greater'))
auto_scale_lr = dict(base_batch_size=8 * 16, enable=True)
# The pre-training checkpoint: pass it with `--cfg-options load_from=...`.
load_from = None
