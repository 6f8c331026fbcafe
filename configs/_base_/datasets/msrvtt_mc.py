# MSRVTT multiple choice (docs/method.md §4.1), retrieval style: train
# the dual encoder with InfoNCE on the MSR-VTT 9k retrieval training data
# (the pipeline of msrvtt_retrieval.py at 8 frames), then pick, for each of
# the 2,990 test videos, the one of 5 candidate captions closest to the
# video (cosine of the dual-encoder embeddings; 32 test frames, centre crop
# 224, captions of up to 30 tokens).
# Annotations: tools/data/msrvtt (training) and tools/data/msrvtt_mc (test).
#
# There is no validation split: no validation loop and no best-checkpoint
# selection (the official code evaluated the test split every epoch,
# docs/method.md §5). Report the last epoch.
_base_ = ['./msrvtt_retrieval.py']

mc_train_frames = 8
mc_text_length = 30

train_dataloader = dict(
    batch_size=2,
    dataset=dict(pipeline=[
        dict(step, num_frames=mc_train_frames)
        if step['type'] == 'SampleFrames' else step
        for step in _base_.train_pipeline
    ]))
# The retrieval test frames (retrieval_common.py: 32 frames, centre crop
# 224); each candidate caption alone is the text.
mc_test_pipeline = _base_.test_video_steps + [
    dict(type='FormatQuestionText', template='{candidate}'),
    dict(_base_.tokenize, max_length=mc_text_length),
    dict(
        type='PackVideoTextInputs',
        meta_keys=('video_id', 'video_index', 'question_id',
                   'answer_index')),
]
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='VideoMultipleChoiceDataset',
        ann_file='data/msrvtt_mc/annotations/test.json',
        data_prefix=dict(video=f'{_base_.data_root}/videos'),
        pipeline=mc_test_pipeline,
        test_mode=True))
test_evaluator = dict(
    _delete_=True, type='MultipleChoiceRetrievalAccuracy', prefix='msrvtt_mc')
val_dataloader = None
val_evaluator = None
