# Clover pre-training data (clover_method.md §3): WebVid-2M videos and CC3M
# images as two dataloaders of 32 clips per GPU each, which
# MultiSourceTrainLoop alternates (one optimizer step per batch); zero-shot
# MSR-VTT 1k-A retrieval on 32 centre-sampled frames every epoch.
#
# Annotations follow docs/data_preparation.md. CC3M records list image files
# in their `video` field (LoadImageAsClip reads them as 1-frame clips).
# SemanticTextMasking tags captions with spaCy unless the annotation holds
# precomputed candidates: run tools/data/precompute_mask_candidates.py on
# both train.json files once (it rewrites them in place) to train without
# spaCy.
dataset_type = 'VideoTextRetrievalDataset'
tokenizer_dir = 'data/pretrained/bert-base-uncased'
clips_per_gpu = 32
input_size = 224
max_text_length = 30

# Shared by both sources after the frames are loaded. The box is cropped
# from the decoded video frames or the original image (in the proportions
# of the official short-side-256 frames) and resized to 224 in one step.
text_and_mask_steps = [
    dict(type='SampleCaptions', num_captions=1),
    dict(
        type='SemanticTextMasking',
        tokenizer=tokenizer_dir,
        max_length=max_text_length,
        mask_prob=0.3),
    # 10 of the 7 x 7 patch columns, the same for every frame (tube mask).
    dict(type='BlockMaskGenerator', window_size=7, num_masking_patches=10),
    dict(type='PackVideoTextInputs'),
]
webvid_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', num_frames=8),  # TSN: a random frame/segment
    dict(type='VideoDecode'),
    # The official Resize(short side 256) -> RandomResizedCrop -> Resize(224)
    # as one step: the same crops, only the box resized, once.
    dict(
        type='RandomResizedCrop', area_range=(0.08, 1.0),
        output_size=input_size),
    # No flip: captions may say left or right.
] + text_and_mask_steps
cc3m_pipeline = [
    dict(type='LoadImageAsClip'),
    dict(
        type='RandomResizedCrop',
        area_range=(0.08, 1.0),
        output_size=input_size,
        interpolation='bicubic'),
] + text_and_mask_steps
msrvtt_test_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', num_frames=32, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(-1, input_size)),
    dict(type='CenterCrop', crop_size=input_size),
    dict(type='SampleCaptions', num_captions=None),
    dict(
        type='TokenizeText',
        tokenizer=tokenizer_dir,
        max_length=max_text_length),
    dict(type='PackVideoTextInputs'),
]

train_dataloader = dict(
    batch_size=clips_per_gpu,
    num_workers=8,
    persistent_workers=True,
    # Every step contrasts a full batch: no short batch at an epoch's end.
    drop_last=True,
    sampler=dict(type='ResumableSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        ann_file='data/webvid/annotations/train.json',
        data_prefix=dict(video='data/webvid/videos'),
        pipeline=webvid_pipeline))
cc3m_dataloader = dict(
    train_dataloader,
    dataset=dict(
        type=dataset_type,
        ann_file='data/cc3m/annotations/train.json',
        data_prefix=dict(video='data/cc3m/images'),
        pipeline=cc3m_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        ann_file='data/msrvtt/annotations/test_1k.json',
        data_prefix=dict(video='data/msrvtt/videos'),
        pipeline=msrvtt_test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator
