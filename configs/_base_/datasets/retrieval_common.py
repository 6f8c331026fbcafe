# The fine-tuned retrieval protocol shared by msrvtt_retrieval.py,
# didemo_retrieval.py and lsmdc_retrieval.py (clover_method.md §4.1): those
# files set the corpus, the clips per GPU, the training frames and text
# lengths, their training pipeline and the annotation files.
dataset_type = 'VideoTextRetrievalDataset'
tokenizer_dir = 'data/pretrained/bert-base-uncased'
input_size = 224
test_frames = 32

# The frame steps of every test clip: 32 evenly spaced frames (16 temporal
# tokens), centre crop 224. Each corpus appends its caption steps (all
# captions of each video).
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', num_frames=test_frames, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(-1, input_size)),
    dict(type='CenterCrop', crop_size=input_size),
]

train_dataloader = dict(
    num_workers=8,
    persistent_workers=True,
    # Every step contrasts a full batch: no short batch at an epoch's end.
    drop_last=True,
    sampler=dict(type='ResumableSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type=dataset_type))
test_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type=dataset_type, test_mode=True))
val_dataloader = test_dataloader
test_evaluator = dict(type='RetrievalMetric')
val_evaluator = test_evaluator
