# Pre-training data of the CPU demo: the synthetic corpus' training videos
# (video source) and a still frame of each with motionless captions (image
# source), alternated by MultiSourceTrainLoop as WebVid and CC3M are in the
# paper's recipe; zero-shot retrieval on the demo's val split every epoch and
# on its test split at the end. `bash tools/demo_pretrain.sh` writes the
# corpus with `--still-frames` and the training files with precomputed
# masking candidates (train_pretrain.json, train_images.json), so training
# needs no spaCy.
_base_ = ['./demo_retrieval.py']

# 64 px frames: 8 x 8 mask cells of 8 x 8 px; 13 of 64 masked, about the
# share of Clover's 10 of 7 x 7.
text_and_mask_steps = [
    dict(type='SampleCaptions', num_captions=1),
    dict(
        type='SemanticTextMasking',
        tokenizer={{_base_.tokenizer_dir}},
        max_length={{_base_.max_text_length}},
        mask_prob=0.3),
    dict(type='BlockMaskGenerator', window_size=8, num_masking_patches=13),
    dict(type='PackVideoTextInputs'),
]
# Even frames, no crop or flip (the retrieval demo's translation is not
# used here), in training and in the zero-shot evaluations.
video_pipeline = _base_.video_steps + text_and_mask_steps
eval_pipeline = _base_.video_steps + _base_.test_caption_steps
image_pipeline = [
    dict(type='LoadImageAsClip'),
    dict(
        type='Resize',
        scale=({{_base_.input_size}}, {{_base_.input_size}}),
        keep_ratio=False),
] + text_and_mask_steps

train_dataloader = dict(
    drop_last=True,
    dataset=dict(
        ann_file='annotations/train_pretrain.json',
        pipeline=video_pipeline))
val_dataloader = dict(dataset=dict(pipeline=eval_pipeline))
test_dataloader = dict(dataset=dict(pipeline=eval_pipeline))
image_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='ResumableSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='VideoTextRetrievalDataset',
        data_root={{_base_.data_root}},
        ann_file='annotations/train_images.json',
        data_prefix=dict(video='images'),
        pipeline=image_pipeline))
