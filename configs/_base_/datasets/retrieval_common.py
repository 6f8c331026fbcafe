# The fine-tuned retrieval protocol shared by msrvtt_retrieval.py,
# didemo_retrieval.py and lsmdc_retrieval.py (docs/method.md §4.1): those
# files set the corpus (`data_root` of each split's dataset), the clips per
# GPU and the text lengths; MSR-VTT also its training frames and files.
# Annotation files and videos are relative to the corpus' data_root.
dataset_type = 'VideoTextRetrievalDataset'
tokenizer_dir = 'data/pretrained/bert-base-uncased'
input_size = 224
train_frames = 8
test_frames = 32

# The frame steps of a DiDeMo or LSMDC training clip; no flip, as in their
# official recipes (MSR-VTT writes its own: 12 frames and a flip).
train_video_steps = [
    dict(type='VideoInit'),
    # TSN sampling: a random frame from each of train_frames segments.
    dict(type='SampleFrames', num_frames=train_frames),
    dict(type='VideoDecode'),
    # The official Resize(short side 256) -> RandomResizedCrop -> Resize(224)
    # as one step: the same crops, only the box resized, once.
    dict(
        type='RandomResizedCrop', area_range=(0.08, 1.0),
        output_size=input_size),
]
# The frame steps of every test clip: 32 evenly spaced frames (16 temporal
# tokens), centre crop 224.
test_video_steps = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', num_frames=test_frames, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(-1, input_size)),
    dict(type='CenterCrop', crop_size=input_size),
]
# The caption steps each corpus appends: one random caption of a video in
# training (a new one every epoch), all of them in test, tokenized to the
# corpus' text length (`dict(tokenize, max_length=...)`).
one_caption = dict(type='SampleCaptions', num_captions=1)
all_captions = dict(type='SampleCaptions', num_captions=None)
tokenize = dict(type='TokenizeText', tokenizer=tokenizer_dir)
pack = dict(type='PackVideoTextInputs')

train_dataloader = dict(
    num_workers=8,
    persistent_workers=True,
    # Every step contrasts a full batch: no short batch at an epoch's end.
    drop_last=True,
    sampler=dict(type='ResumableSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        ann_file='annotations/train.json',
        data_prefix=dict(video='videos')))
test_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        ann_file='annotations/test.json',
        data_prefix=dict(video='videos'),
        test_mode=True))
val_dataloader = dict(
    test_dataloader,
    dataset=dict(test_dataloader['dataset'], ann_file='annotations/val.json'))
test_evaluator = dict(type='RetrievalMetric')
val_evaluator = test_evaluator
