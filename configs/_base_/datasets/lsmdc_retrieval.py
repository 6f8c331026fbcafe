# LSMDC 2016 text-to-video retrieval (docs/method.md §4.1): train on the
# training clips, keep checkpoints by the val split, report the 1,000-clip
# public test set (tools/data/lsmdc/README.md). The validation split is
# several times the size of the test set: raise train_cfg.val_interval if
# evaluating it every epoch costs too much. Frames, loaders and files:
# retrieval_common.py.
_base_ = ['./retrieval_common.py']

data_root = 'data/lsmdc'
clips_per_gpu = 16
train_text_length = 40
test_text_length = 40

train_pipeline = _base_.train_video_steps + [
    _base_.one_caption,
    dict(_base_.tokenize, max_length=train_text_length), _base_.pack
]
test_pipeline = _base_.test_video_steps + [
    _base_.all_captions,
    dict(_base_.tokenize, max_length=test_text_length), _base_.pack
]

train_dataloader = dict(
    batch_size=clips_per_gpu,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
