# LSMDC fill-in-the-blank (clover_method.md §4.1): the blank is written as
# the literal [MASK] (one per sentence) and answered from the fused hidden
# state at that token over the 908 most frequent training answers;
# sentences of up to 200 tokens.
# Annotations: tools/data/lsmdc_fib (clips shared with LSMDC retrieval).
# Frames, splits and model selection: qa_common.py.
_base_ = ['./qa_common.py']

dataset_type = 'VideoFillInBlankDataset'
data_root = 'data/lsmdc_fib/annotations'
video_dir = 'data/lsmdc/videos'
max_text_length = 200

text_steps = [
    dict(type='FormatQuestionText'),
    dict(
        type='TokenizeText',
        tokenizer=_base_.tokenizer_dir,
        max_length=max_text_length),
    dict(type='PackVideoTextInputs', meta_keys=_base_.qa_meta_keys),
]
train_pipeline = _base_.train_pipeline + text_steps
test_pipeline = _base_.test_pipeline + text_steps

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/train.json',
        data_prefix=dict(video=video_dir),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/val.json',
        data_prefix=dict(video=video_dir),
        pipeline=test_pipeline))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        val_dataloader['dataset'], ann_file=f'{data_root}/test.json'))
val_evaluator = dict(prefix='lsmdc_fib')
test_evaluator = val_evaluator
