# DiDeMo paragraph-to-video retrieval (clover_method.md §4.1): each video's
# one caption is all of its sentences joined in order (the converter,
# tools/data/didemo/README.md, writes them so); train on train, keep
# checkpoints by the val split, report the test split.
_base_ = ['./retrieval_common.py']

data_root = 'data/didemo'
clips_per_gpu = 32
train_frames = 8
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
        output_size=_base_.input_size),
    # No flip, as in the official DiDeMo recipe. The one caption of a video
    # is its paragraph.
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
        ann_file=f'{data_root}/annotations/train.json',
        data_prefix=dict(video=f'{data_root}/videos'),
        pipeline=train_pipeline))
test_dataloader = dict(
    dataset=dict(
        ann_file=f'{data_root}/annotations/test.json',
        data_prefix=dict(video=f'{data_root}/videos'),
        pipeline=test_pipeline))
val_dataloader = dict(
    test_dataloader,
    dataset=dict(
        test_dataloader['dataset'],
        ann_file=f'{data_root}/annotations/val.json'))
