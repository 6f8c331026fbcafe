# MSRVTT-QA (docs/method.md §4.1): open-ended QA over the 1500 most
# frequent training answers on MSR-VTT videos, questions of up to 40 tokens.
# Annotations: tools/data/msrvtt_qa (videos shared with MSR-VTT retrieval).
# Frames, text, splits and model selection: qa_common.py.
_base_ = ['./qa_common.py']

ann_dir = 'msrvtt_qa/annotations'
videos = dict(video='msrvtt/videos')

train_dataloader = dict(
    dataset=dict(ann_file=f'{ann_dir}/train.json', data_prefix=videos))
val_dataloader = dict(
    dataset=dict(ann_file=f'{ann_dir}/val.json', data_prefix=videos))
test_dataloader = dict(
    dataset=dict(ann_file=f'{ann_dir}/test.json', data_prefix=videos))
val_evaluator = dict(prefix='msrvtt_qa')
test_evaluator = val_evaluator
