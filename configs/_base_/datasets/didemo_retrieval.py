# DiDeMo paragraph-to-video retrieval (clover_method.md §4.1): each video's
# one caption is all of its sentences joined in order (the converter,
# tools/data/didemo/README.md, writes them so); train on train, keep
# checkpoints by the val split, report the test split.
dataset_type = 'VideoTextRetrievalDataset'
data_root = 'data/didemo'
tokenizer_dir = 'data/pretrained/bert-base-uncased'
clips_per_gpu = 32
input_size = 224
train_frames = 8
test_frames = 32
train_text_length = 50
test_text_length = 64

train_pipeline = [
    dict(type='VideoInit'),
    # TSN sampling: a random frame from each of train_frames segments.
    dict(type='SampleFrames', num_frames=train_frames),
    dict(type='VideoDecode'),
    # The official Resize(short side 256) -> RandomResizedCrop -> Resize(224)
    # as one step: the same crops, only the box resized, once.
    dict(
        type='RandomResizedCrop', area_range=(0.08, 1.0),
        output_size=input_size),
    # No flip, as in the official DiDeMo recipe. The one caption of a video
    # is its paragraph.
    dict(type='SampleCaptions', num_captions=1),
    dict(
        type='TokenizeText',
        tokenizer=tokenizer_dir,
        max_length=train_text_length),
    dict(type='PackVideoTextInputs'),
]
# 32 evenly spaced frames (16 temporal tokens), centre crop 224, all
# captions of each video.
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', num_frames=test_frames, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(-1, input_size)),
    dict(type='CenterCrop', crop_size=input_size),
    dict(type='SampleCaptions', num_captions=None),
    dict(
        type='TokenizeText',
        tokenizer=tokenizer_dir,
        max_length=test_text_length),
    dict(type='PackVideoTextInputs'),
]

train_dataloader = dict(
    batch_size=clips_per_gpu,
    num_workers=8,
    persistent_workers=True,
    # Every step contrasts a full batch: no short batch at an epoch's end.
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/annotations/train.json',
        data_prefix=dict(video=f'{data_root}/videos'),
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/annotations/test.json',
        data_prefix=dict(video=f'{data_root}/videos'),
        pipeline=test_pipeline,
        test_mode=True))
val_dataloader = dict(
    test_dataloader,
    dataset=dict(
        test_dataloader['dataset'],
        ann_file=f'{data_root}/annotations/val.json'))
test_evaluator = dict(type='RetrievalMetric')
val_evaluator = test_evaluator
