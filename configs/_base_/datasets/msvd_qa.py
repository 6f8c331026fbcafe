# MSVD-QA (docs/method.md §4.1): open-ended QA over the 1000 most frequent
# training answers on the MSVD clips (.avi), questions of up to 40 tokens.
# Annotations: tools/data/msvd_qa. Frames, text, splits and model
# selection: qa_common.py.
_base_ = ['./qa_common.py']

ann_dir = 'msvd_qa/annotations'
videos = dict(video='msvd_qa/videos')

train_dataloader = dict(
    dataset=dict(ann_file=f'{ann_dir}/train.json', data_prefix=videos))
val_dataloader = dict(
    dataset=dict(ann_file=f'{ann_dir}/val.json', data_prefix=videos))
test_dataloader = dict(
    dataset=dict(ann_file=f'{ann_dir}/test.json', data_prefix=videos))
val_evaluator = dict(prefix='msvd_qa')
test_evaluator = val_evaluator
