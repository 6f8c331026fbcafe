# LSMDC 2016 text-to-video retrieval (clover_method.md §4.1): train on the
# training clips, keep checkpoints by the val split, report the 1,000-clip
# public test set (tools/data/lsmdc/README.md). The validation split is
# several times the size of the test set: raise train_cfg.val_interval if
# evaluating it every epoch costs too much.
_base_ = ['./retrieval_common.py']

data_root = 'data/lsmdc'
clips_per_gpu = 16
train_frames = 8
train_text_length = 40
test_text_length = 40

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
    # No flip, as in the official LSMDC recipe.
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
