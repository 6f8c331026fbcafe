# TGIF-QA (clover_method.md §4.1) on animated GIFs, three tasks:
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
# Leaf configs pick a task's loaders: `{{_base_.<task>_train_dataloader}}`
# and `{{_base_.<task>_test_dataloader}}`. TGIF-QA has no validation split,
# so there is no validation loop and no best-checkpoint selection (the
# official code evaluated the test split every epoch, §6.11).
# Annotations: tools/data/tgif_qa.
data_root = 'data/tgif_qa/annotations'
video_dir = 'data/tgif_qa/videos'
tokenizer_dir = 'data/pretrained/bert-base-uncased'
num_frames = 8
num_test_views = 4
input_size = 224
mc_template = '{question} Options: {options} Answer: {candidate}'
mc_max_text_length = 100
frameqa_max_text_length = 40
mc_meta_keys = ('video_id', 'video_index', 'question_id', 'answer_index')
frameqa_meta_keys = ('video_id', 'video_index', 'question_id', 'answer',
                     'answer_label', 'question_type')


def text_steps(template, max_length, meta_keys):
    """Question text -> token ids -> packed sample."""
    return [
        dict(type='FormatQuestionText', template=template),
        dict(type='TokenizeText', tokenizer=tokenizer_dir,
             max_length=max_length),
        dict(type='PackVideoTextInputs', meta_keys=meta_keys),
    ]


def frame_steps(test_views=None, centre_crop=False):
    """Frames of a training clip (``test_views`` None) or of a test clip
    with ``test_views`` views, squashed or centre-cropped to input_size."""
    if test_views is None:
        # The official Resize(short 256) -> RandomResizedCrop -> Resize(224)
        # in one step; no flip (questions may name left and right).
        return [
            dict(type='VideoInit'),
            dict(type='SampleFrames', num_frames=num_frames),
            dict(type='VideoDecode'),
            dict(type='RandomResizedCrop', area_range=(0.08, 1.0),
                 output_size=input_size),
        ]
    steps = [
        dict(type='VideoInit'),
        dict(type='SampleFrames', num_frames=num_frames,
             num_views=test_views, test_mode=True),
        dict(type='VideoDecode'),
    ]
    if centre_crop:
        return steps + [
            dict(type='Resize', scale=(-1, input_size)),
            dict(type='CenterCrop', crop_size=input_size),
        ]
    return steps + [
        dict(type='Resize', scale=(input_size, input_size), keep_ratio=False)
    ]


def dataloader(task, split):
    """The ``split`` loader of ``task`` (action, transition, frameqa)."""
    test_mode = split == 'test'
    if task == 'frameqa':
        dataset_type = 'VideoQADataset'
        frames = frame_steps(1 if test_mode else None, centre_crop=True)
        text = text_steps(None, frameqa_max_text_length, frameqa_meta_keys)
    else:
        dataset_type = 'VideoMultipleChoiceDataset'
        frames = frame_steps(num_test_views if test_mode else None)
        text = text_steps(mc_template, mc_max_text_length, mc_meta_keys)
    return dict(
        batch_size=16,
        num_workers=8,
        persistent_workers=True,
        sampler=dict(type='ResumableSampler', shuffle=not test_mode),
        collate_fn=dict(type='pseudo_collate'),
        dataset=dict(
            type=dataset_type,
            ann_file=f'{data_root}/{task}_{split}.json',
            data_prefix=dict(video=video_dir),
            pipeline=frames + text,
            test_mode=test_mode))


action_train_dataloader = dataloader('action', 'train')
action_test_dataloader = dataloader('action', 'test')
transition_train_dataloader = dataloader('transition', 'train')
transition_test_dataloader = dataloader('transition', 'test')
frameqa_train_dataloader = dataloader('frameqa', 'train')
frameqa_test_dataloader = dataloader('frameqa', 'test')

val_dataloader = None
val_evaluator = None
val_cfg = None
