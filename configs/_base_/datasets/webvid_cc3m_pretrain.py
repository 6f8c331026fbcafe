# Clover pre-training data (docs/method.md §3): WebVid-2M videos and CC3M
# images as two dataloaders of 32 clips per GPU each, which
# MultiSourceTrainLoop alternates (one optimizer step per batch); zero-shot
# MSR-VTT 1k-A retrieval on 32 centre-sampled frames every epoch. Loaders,
# frame steps and files relative to each corpus' data_root:
# retrieval_common.py.
#
# Annotations follow docs/data_preparation.md. CC3M records list image files
# in their `video` field (LoadImageAsClip reads them as 1-frame clips).
# SemanticTextMasking tags captions with spaCy unless the annotation holds
# precomputed candidates: run tools/data/precompute_mask_candidates.py on
# both train.json files once (it rewrites them in place) to train without
# spaCy.
_base_ = ['./retrieval_common.py']

clips_per_gpu = 32
max_text_length = 30

# Shared by both sources after the frames are loaded. The box is cropped
# from the decoded video frames or the original image (in the proportions
# of the official short-side-256 frames) and resized to 224 in one step.
text_and_mask_steps = [
    _base_.one_caption,
    dict(
        type='SemanticTextMasking',
        tokenizer=_base_.tokenizer_dir,
        max_length=max_text_length,
        mask_prob=0.3),
    # 10 of the 7 x 7 patch columns, the same for every frame (tube mask).
    dict(type='BlockMaskGenerator', window_size=7, num_masking_patches=10),
    _base_.pack,
]
# TSN sampling of 8 frames, no flip: captions may say left or right.
webvid_pipeline = _base_.train_video_steps + text_and_mask_steps
cc3m_pipeline = [
    dict(type='LoadImageAsClip'),
    dict(
        type='RandomResizedCrop',
        area_range=(0.08, 1.0),
        output_size=_base_.input_size,
        interpolation='bicubic'),
] + text_and_mask_steps
msrvtt_test_pipeline = _base_.test_video_steps + [
    _base_.all_captions,
    dict(_base_.tokenize, max_length=max_text_length), _base_.pack
]

train_dataloader = dict(
    batch_size=clips_per_gpu,
    dataset=dict(data_root='data/webvid', pipeline=webvid_pipeline))
cc3m_dataloader = dict(
    _base_.train_dataloader,
    batch_size=clips_per_gpu,
    dataset=dict(
        _base_.train_dataloader.dataset,
        data_root='data/cc3m',
        data_prefix=dict(video='images'),
        pipeline=cc3m_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root='data/msrvtt',
        ann_file='annotations/test_1k.json',
        pipeline=msrvtt_test_pipeline))
test_dataloader = val_dataloader
