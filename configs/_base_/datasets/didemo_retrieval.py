# DiDeMo paragraph-to-video retrieval (docs/method.md §4.1): each video's
# one caption is all of its sentences joined in order (the converter,
# tools/data/didemo/README.md, writes them so); train on train, keep
# checkpoints by the val split, report the test split. Frames, loaders and
# files: retrieval_common.py.
_base_ = ['./retrieval_common.py']

data_root = 'data/didemo'
clips_per_gpu = 32
train_text_length = 50
test_text_length = 64

# The one caption of a video is its paragraph.
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
