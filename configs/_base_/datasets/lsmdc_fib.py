# LSMDC fill-in-the-blank (docs/method.md §4.1): the blank is written as
# the literal [MASK] (one per sentence) and answered from the fused hidden
# state at that token over the 908 most frequent training answers;
# sentences of up to 200 tokens.
# Annotations: tools/data/lsmdc_fib (clips shared with LSMDC retrieval).
# Frames, splits and model selection: qa_common.py.
_base_ = ['./qa_common.py']

dataset_type = 'VideoFillInBlankDataset'
ann_dir = 'lsmdc_fib/annotations'
videos = dict(video='lsmdc/videos')
max_text_length = 200

# qa_common.py's text steps at up to 200 tokens.
text_steps = [
    _base_.text_steps[0],
    dict(_base_.tokenize, max_length=max_text_length),
    _base_.text_steps[-1],
]
train_pipeline = _base_.train_video_steps + text_steps
test_pipeline = _base_.test_video_steps + text_steps

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        ann_file=f'{ann_dir}/train.json',
        data_prefix=videos,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        ann_file=f'{ann_dir}/val.json',
        data_prefix=videos,
        pipeline=test_pipeline))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], ann_file=f'{ann_dir}/test.json'))
val_evaluator = dict(prefix='lsmdc_fib')
test_evaluator = val_evaluator
