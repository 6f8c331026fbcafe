# LSMDC multiple choice: 5 candidate captions and no question. As the
# official code builds it (its QA text preparation with all answers and an
# empty question), each candidate is scored on the text
# ' Options: <caption 1> ... <caption 5> Answer: <candidate>', fused with the
# clip; five captions are why the text may take up to 256 tokens.
# Annotations: tools/data/lsmdc_mc (clips shared with LSMDC retrieval).
# Frames, splits and model selection: qa_common.py.
_base_ = ['./qa_common.py']

dataset_type = 'VideoMultipleChoiceDataset'
ann_dir = 'lsmdc_mc/annotations'
videos = dict(video='lsmdc/videos')
max_text_length = 256
qa_meta_keys = ('video_id', 'video_index', 'question_id', 'answer_index')

text_steps = [
    dict(
        type='FormatQuestionText',
        template='{question} Options: {options} Answer: {candidate}'),
    dict(_base_.tokenize, max_length=max_text_length),
    dict(type='PackVideoTextInputs', meta_keys=qa_meta_keys),
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
val_evaluator = dict(prefix='lsmdc_mc')
test_evaluator = val_evaluator
