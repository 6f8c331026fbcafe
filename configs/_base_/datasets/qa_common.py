# The fine-tuning protocol shared by msrvtt_qa.py, msvd_qa.py, lsmdc_fib.py
# and lsmdc_mc.py (docs/method.md §4.1): 8 frames in training and test,
# test frames squashed to 224 x 224 without a crop, as the official test
# pipelines do; train / val / test splits, with model selection on val (the
# official code selected on test, docs/method.md §5); open-ended
# questions of up to 40 tokens. Those files set each split's annotation file
# and the videos (both relative to data_root: annotations and videos may
# live in different corpus folders), the evaluator's prefix and, where they
# differ, the dataset and the text steps.
dataset_type = 'VideoQADataset'
data_root = 'data'
tokenizer_dir = 'data/pretrained/bert-base-uncased'
num_frames = 8
input_size = 224
max_text_length = 40
qa_meta_keys = ('video_id', 'video_index', 'question_id', 'answer',
                'answer_label', 'question_type')

train_video_steps = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', num_frames=num_frames),
    dict(type='VideoDecode'),
    # The official Resize(short 256) -> RandomResizedCrop -> Resize(224)
    # in one step; no flip (questions, sentences and captions may name left
    # and right).
    dict(
        type='RandomResizedCrop',
        area_range=(0.08, 1.0),
        output_size=input_size),
]
test_video_steps = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', num_frames=num_frames, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
]
# The text steps of an open-ended question; a task with other text sets
# its own (`dict(tokenize, max_length=...)`).
tokenize = dict(type='TokenizeText', tokenizer=tokenizer_dir)
text_steps = [
    dict(type='FormatQuestionText'),
    dict(tokenize, max_length=max_text_length),
    dict(type='PackVideoTextInputs', meta_keys=qa_meta_keys),
]
train_pipeline = train_video_steps + text_steps
test_pipeline = test_video_steps + text_steps

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='ResumableSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='VideoQAAccuracy')
test_evaluator = val_evaluator
val_cfg = dict(type='ValLoop')
