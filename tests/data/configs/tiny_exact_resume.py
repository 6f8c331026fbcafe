# The tiny retrieval config with every source of randomness on, for the
# exact-resume tests: random frames, crops, flips and caption choice, text
# and video masks, dropout, stochastic depth, EMA, two persistent workers
# and one resumable checkpoint in the middle of epoch 2 (iteration 6 of
# 4 + 4). Data from
# $CLOVER_TINY_DATA: a corpus of tools/data/make_demo_dataset.py with
# several captions per video, 8 frames and --still-frames.
_base_ = ['./tiny_retrieval.py']

data_root = '{{$CLOVER_TINY_DATA:data/tiny}}'

augment_steps = [
    dict(type='RandomResizedCrop', area_range=(0.5, 1.0)),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='SampleCaptions', num_captions=1),
    dict(
        type='SemanticTextMasking',
        tokenizer={{_base_.tokenizer_dir}},
        max_length=16,
        word_selection='random'),
    dict(type='BlockMaskGenerator', window_size=4, num_masking_patches=3),
    dict(type='PackVideoTextInputs'),
]
pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', num_frames=4),
    dict(type='VideoDecode'),
] + augment_steps
train_dataloader = dict(
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='ResumableSampler', shuffle=True),
    dataset=dict(pipeline=pipeline))

model = dict(
    video_encoder=dict(drop_path_rate=0.3),
    text_encoder=dict(
        config=dict(hidden_dropout_prob=0.2,
                    attention_probs_dropout_prob=0.2)),
    retrieval_head=dict(text_proj=dict(dropout=0.2)))
custom_hooks = [dict(type='EMAHook', momentum=0.1, update_buffers=True)]
default_hooks = dict(iter_checkpoint=dict(interval=6))
# No validation: the tests compare weights.
val_dataloader = None
val_cfg = None
val_evaluator = None

# The still frames as a second source (tiny_exact_resume_pretrain.py).
image_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='ResumableSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='VideoTextRetrievalDataset',
        ann_file=f'{data_root}/annotations/train_images.json',
        data_prefix=dict(video=f'{data_root}/images'),
        pipeline=[dict(type='LoadImageAsClip')] + augment_steps))
