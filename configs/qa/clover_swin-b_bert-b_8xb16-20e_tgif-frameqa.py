# Clover fine-tuned on TGIF-FrameQA (docs/method.md §4.1): open-ended QA
# over 1540 answers (head dropout 0.1), 8 -> 8 frames (test centre crop),
# questions of up to 40 tokens, 8 GPUs x 16 clips, 20 epochs (2 warm-up)
# with a per-iteration cosine, lr 1.2e-5 (QA head x10), weight decay 0.01,
# clip 50, fp16. TGIF-QA has no val split: no validation, no best
# checkpoint; report the last epoch.
#
#     bash tools/dist_train.sh \
#         configs/qa/clover_swin-b_bert-b_8xb16-20e_tgif-frameqa.py 8 \
#         --cfg-options load_from=PRETRAIN.pth
#     python tools/test.py \
#         configs/qa/clover_swin-b_bert-b_8xb16-20e_tgif-frameqa.py \
#         work_dirs/clover_swin-b_bert-b_8xb16-20e_tgif-frameqa/epoch_20.pth
_base_ = [
    '../_base_/models/clover_qa_swin-b_bert-b.py',
    '../_base_/datasets/tgif_qa.py', '../_base_/schedules/finetune_qa.py',
    '../_base_/default_runtime.py'
]

model = dict(qa_head=dict(num_answers=1540, dropout=0.1))
train_dataloader = _base_.frameqa_train_dataloader
test_dataloader = _base_.frameqa_test_dataloader
test_evaluator = dict(type='VideoQAAccuracy', prefix='tgif_frameqa')
auto_scale_lr = dict(base_batch_size=8 * 16, enable=True)
# The pre-training checkpoint: pass it with `--cfg-options load_from=...`.
load_from = None
