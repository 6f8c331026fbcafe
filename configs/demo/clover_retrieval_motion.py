# The retrieval demo recipe on the motion corpus (a second synthetic corpus:
# spinning / growing / shrinking / zigzagging shapes over panning textures,
# one caption per clip). Write it with
#   python tools/data/make_motion_corpus.py --out-dir data/motion
_base_ = ['./clover_retrieval_demo.py']

data_root = 'data/motion'
train_dataloader = dict(
    dataset=dict(
        ann_file=f'{data_root}/annotations/train.json',
        data_prefix=dict(video=f'{data_root}/videos')))
val_dataloader = dict(
    dataset=dict(
        ann_file=f'{data_root}/annotations/val.json',
        data_prefix=dict(video=f'{data_root}/videos')))
test_dataloader = dict(
    dataset=dict(
        ann_file=f'{data_root}/annotations/test.json',
        data_prefix=dict(video=f'{data_root}/videos')))
