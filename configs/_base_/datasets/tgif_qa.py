# TGIF-QA (docs/method.md §4.1) on animated GIFs, three tasks:
# - Action and Transition: 5-way multiple choice. Each candidate becomes
#   "{question} Options: {all 5 candidates} Answer: {candidate}" (up to 100
#   tokens), fused alone with the clip and scored. 8 training frames; the
#   test averages the Swin features of 4 temporal views of 8 frames (the
#   official code's clip-major reshape made each "view" two adjacent 4-frame
#   snippets, §6.12; these are 4 evenly offset 8-frame samplings).
# - FrameQA: open-ended QA over the 1540 most frequent training answers,
#   questions of up to 40 tokens, 8 frames, test centre crop.
# Test frames of Action / Transition are squashed to 224 x 224, as the
# official test pipelines do.
#
# Leaf configs pick a task's loaders: `_base_.<task>_train_dataloader` and
# `_base_.<task>_test_dataloader`. TGIF-QA has no validation split,
# so there is no validation loop and no best-checkpoint selection (the
# official code evaluated the test split every epoch, §6.11).
# Annotations: tools/data/tgif_qa.
_base_ = ['./qa_common.py']

ann_dir = 'tgif_qa/annotations'
videos = dict(video='tgif_qa/videos')
num_test_views = 4
mc_max_text_length = 100
mc_meta_keys = ('video_id', 'video_index', 'question_id', 'answer_index')

# Training frames: qa_common.py's train_video_steps. Test frames of Action
# and Transition: num_test_views views, squashed; of FrameQA: one view,
# centre-cropped.
mc_test_video_steps = [
    dict(type='VideoInit'),
    dict(
        type='SampleFrames',
        num_frames=_base_.num_frames,
        num_views=num_test_views,
        test_mode=True),
    dict(type='VideoDecode'),
    _base_.test_video_steps[-1],  # squashed to input_size x input_size
]
frameqa_test_video_steps = [
    dict(type='VideoInit'),
    dict(
        type='SampleFrames',
        num_frames=_base_.num_frames,
        num_views=1,
        test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(-1, _base_.input_size)),
    dict(type='CenterCrop', crop_size=_base_.input_size),
]
# FrameQA's text: qa_common.py's text_steps (up to 40 tokens).
mc_text_steps = [
    dict(
        type='FormatQuestionText',
        template='{question} Options: {options} Answer: {candidate}'),
    dict(_base_.tokenize, max_length=mc_max_text_length),
    dict(type='PackVideoTextInputs', meta_keys=mc_meta_keys),
]

loader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    collate_fn=dict(type='pseudo_collate'))
train_loader = dict(
    loader, sampler=dict(type='ResumableSampler', shuffle=True))
test_loader = dict(
    loader, sampler=dict(type='ResumableSampler', shuffle=False))
mc_train = dict(
    type='VideoMultipleChoiceDataset',
    data_root=_base_.data_root,
    data_prefix=videos,
    pipeline=_base_.train_video_steps + mc_text_steps,
    test_mode=False)
mc_test = dict(
    mc_train, pipeline=mc_test_video_steps + mc_text_steps, test_mode=True)
frameqa_train = dict(
    mc_train, type='VideoQADataset', pipeline=_base_.train_pipeline)
frameqa_test = dict(
    frameqa_train,
    pipeline=frameqa_test_video_steps + _base_.text_steps,
    test_mode=True)

action_train_dataloader = dict(
    train_loader,
    dataset=dict(mc_train, ann_file=f'{ann_dir}/action_train.json'))
action_test_dataloader = dict(
    test_loader, dataset=dict(mc_test, ann_file=f'{ann_dir}/action_test.json'))
transition_train_dataloader = dict(
    train_loader,
    dataset=dict(mc_train, ann_file=f'{ann_dir}/transition_train.json'))
transition_test_dataloader = dict(
    test_loader,
    dataset=dict(mc_test, ann_file=f'{ann_dir}/transition_test.json'))
frameqa_train_dataloader = dict(
    train_loader,
    dataset=dict(frameqa_train, ann_file=f'{ann_dir}/frameqa_train.json'))
frameqa_test_dataloader = dict(
    test_loader,
    dataset=dict(frameqa_test, ann_file=f'{ann_dir}/frameqa_test.json'))

val_dataloader = None
val_evaluator = None
val_cfg = None
