# Open-ended video QA on the synthetic demo corpus: the questions that
# tools/data/make_demo_qa.py writes about each video's colour, shape, size,
# direction, speed and object count (30 answers). Frames: the demo's
# video_steps, 8 evenly spaced frames at 64x64, no crop or flip (questions
# ask for directions, sizes and counts).
_base_ = ['./demo_retrieval.py']

dataset_type = 'VideoQADataset'
ann_dir = 'data/demo/annotations'
video_dir = 'data/demo/videos'
qa_meta_keys = ('video_id', 'video_index', 'question_id', 'answer',
                'answer_label', 'question_type')
qa_pipeline = _base_.video_steps + [
    dict(type='FormatQuestionText'), _base_.tokenize,
    dict(type='PackVideoTextInputs', meta_keys=qa_meta_keys)
]

train_dataloader = dict(
    drop_last=True,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        ann_file=f'{ann_dir}/qa_train.json',
        data_prefix=dict(video=video_dir),
        pipeline=qa_pipeline))
val_dataloader = dict(
    dataset=dict(
        train_dataloader['dataset'],
        ann_file=f'{ann_dir}/qa_val.json',
        test_mode=True))
test_dataloader = dict(
    dataset=dict(
        val_dataloader['dataset'], ann_file=f'{ann_dir}/qa_test.json'))
# Accuracy overall and per question type (demo_qa/acc/<type>).
val_evaluator = dict(_delete_=True, type='VideoQAAccuracy', prefix='demo_qa')
test_evaluator = val_evaluator
