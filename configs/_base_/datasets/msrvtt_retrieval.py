# MSR-VTT 1k-A text-to-video retrieval (clover_method.md §4.1): train on the
# 9k split (9,000 videos, 20 captions each, one random caption per video and
# epoch), test on the 1,000 JSFusion videos of 1k-A (one caption each).
# Annotations: tools/data/msrvtt/README.md.
#
# MSR-VTT has no validation split. Like the official code, the fine-tuning
# config evaluates the test split after every epoch, for monitoring only;
# no checkpoint is chosen by it (choosing the best test epoch would be
# model selection on the test set, clover_method.md §6.11).
_base_ = ['./retrieval_common.py']

data_root = 'data/msrvtt'
clips_per_gpu = 16
train_frames = 12
train_text_length = 30
test_text_length = 25

train_pipeline = [
    dict(type='VideoInit'),
    # TSN sampling: a random frame from each of train_frames segments.
    dict(type='SampleFrames', num_frames=train_frames),
    dict(type='VideoDecode'),
    # The official Resize(short side 256) -> RandomResizedCrop -> Resize(224)
    # as one step: the same crops, only the box resized, once.
    dict(
        type='RandomResizedCrop', area_range=(0.08, 1.0),
        output_size=_base_.input_size),
    # The official MSR-VTT recipe flips, although a few captions name left
    # or right (which a flip makes wrong); kept for faithfulness. DiDeMo and
    # LSMDC train without it.
    dict(type='Flip', flip_ratio=0.5),
    # A new random caption every epoch; the official loader drew one caption
    # per video once, at load time, and kept it for the whole run.
    dict(type='SampleCaptions', num_captions=1),
    dict(
        type='TokenizeText',
        tokenizer=_base_.tokenizer_dir,
        max_length=train_text_length),
    dict(type='PackVideoTextInputs'),
]
test_pipeline = _base_.test_pipeline + [
    dict(type='SampleCaptions', num_captions=None),
    dict(
        type='TokenizeText',
        tokenizer=_base_.tokenizer_dir,
        max_length=test_text_length),
    dict(type='PackVideoTextInputs'),
]

train_dataloader = dict(
    batch_size=clips_per_gpu,
    dataset=dict(
        ann_file=f'{data_root}/annotations/train_9k.json',
        data_prefix=dict(video=f'{data_root}/videos'),
        pipeline=train_pipeline))
test_dataloader = dict(
    dataset=dict(
        ann_file=f'{data_root}/annotations/test_1k.json',
        data_prefix=dict(video=f'{data_root}/videos'),
        pipeline=test_pipeline))
# No validation split: validation IS the test split (see above).
val_dataloader = test_dataloader
