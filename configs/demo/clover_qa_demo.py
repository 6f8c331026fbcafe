# CPU demo of Clover's open-ended video QA fine-tuning: the demo pre-training
# model (configs/demo/clover_pretrain_demo.py) answers questions about the
# synthetic corpus' videos (tools/data/make_demo_qa.py) by classifying the
# fused [CLS] feature into the 30 possible answers. A few minutes on 2 cores.
# Run it with `bash tools/demo_qa.sh`, which pre-checks the checkpoint,
# writes the questions and compares the test accuracy with the
# majority-answer baseline.
_base_ = [
    '../_base_/models/clover_demo-tiny.py', '../_base_/datasets/demo_qa.py',
    '../_base_/schedules/demo_adamw.py', '../_base_/default_runtime.py'
]

# = len(ANSWER_VOCAB) of tools/data/make_demo_qa.py: every colour, shape,
# size, direction, speed and count of the corpus, the same in every split.
num_answers = 30
model = dict(
    _delete_=True,
    type='CloverVideoQA',
    data_preprocessor=dict(type='VideoTextDataPreprocessor'),
    # No mask token: fine-tuning never masks the video (no unused
    # parameters); the checkpoint's one is an unexpected key.
    video_encoder={{_base_.video_encoder}},
    text_encoder={{_base_.text_encoder}},
    fusion={{_base_.fusion}},
    qa_head=dict(
        type='OpenEndedQAHead',
        in_channels=384,
        num_answers=num_answers,
        dropout=0.1))
# The demo pre-training's last checkpoint (EMA weights), loaded non-strictly:
# only qa_head is new. tools/demo_qa.sh passes the one it finds.
load_from = 'work_dirs/demo_pretrain/epoch_3.pth'

max_epochs = 3
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)

optim_wrapper = dict(
    optimizer=dict(lr=2e-4),
    paramwise_cfg=dict(
        custom_keys={
            # The fresh head learns fast; the pre-trained parts move slowly.
            'qa_head': dict(lr_mult=10.),
        }))
param_scheduler = [
    dict(_base_.warmup, start_factor=0.1),
    dict(_base_.cosine, T_max=max_epochs - 1, end=max_epochs),
]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(
        interval=1, max_keep_ckpts=1, save_best='demo_qa/acc',
        rule='greater'))
