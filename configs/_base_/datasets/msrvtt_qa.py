# MSRVTT-QA (clover_method.md §4.1): open-ended QA over the 1500 most
# frequent training answers on MSR-VTT videos, questions of up to 40 tokens.
# Annotations: tools/data/msrvtt_qa (videos shared with MSR-VTT retrieval).
# Frames, splits and model selection: qa_common.py.
_base_ = ['./qa_common.py']

dataset_type = 'VideoQADataset'
data_root = 'data/msrvtt_qa/annotations'
video_dir = 'data/msrvtt/videos'
max_text_length = 40

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
val_evaluator = dict(prefix='msrvtt_qa')
test_evaluator = val_evaluator
