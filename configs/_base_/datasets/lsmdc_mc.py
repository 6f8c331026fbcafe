# LSMDC multiple choice (clover_method.md §4.1): 5 candidate captions and no
# question; each caption (template '{candidate}', up to 256 tokens) is fused
# alone with the clip and scored. 8 frames in training and test; test frames
# squashed to 224 x 224 without a crop, as the official test pipeline does.
# Annotations: tools/data/lsmdc_mc (clips shared with LSMDC retrieval).
# Model selection uses the val split (the official code selected on test,
# clover_method.md §6.11).
dataset_type = 'VideoMultipleChoiceDataset'
data_root = 'data/lsmdc_mc/annotations'
video_dir = 'data/lsmdc/videos'
tokenizer_dir = 'data/pretrained/bert-base-uncased'
num_frames = 8
input_size = 224
max_text_length = 256
qa_meta_keys = ('video_id', 'video_index', 'question_id', 'answer_index')

text_steps = [
    dict(type='FormatQuestionText', template='{candidate}'),
    dict(
        type='TokenizeText',
        tokenizer=tokenizer_dir,
        max_length=max_text_length),
    dict(type='PackVideoTextInputs', meta_keys=qa_meta_keys),
]
train_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', num_frames=num_frames),
    dict(type='VideoDecode'),
    # The official Resize(short 256) -> RandomResizedCrop -> Resize(224)
    # in one step; no flip (captions may name left and right).
    dict(
        type='RandomResizedCrop',
        area_range=(0.08, 1.0),
        output_size=input_size),
] + text_steps
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', num_frames=num_frames, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
] + text_steps

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/train.json',
        data_prefix=dict(video=video_dir),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/val.json',
        data_prefix=dict(video=video_dir),
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        val_dataloader['dataset'], ann_file=f'{data_root}/test.json'))
val_evaluator = dict(
    type='VideoQAAccuracy', label_key='answer_index', prefix='lsmdc_mc')
test_evaluator = val_evaluator
val_cfg = dict(type='ValLoop')
