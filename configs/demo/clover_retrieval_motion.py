# The retrieval demo recipe on the motion corpus (a second synthetic corpus:
# spinning / growing / shrinking / zigzagging shapes over panning textures,
# one caption per clip). Write it with
#   python tools/data/make_motion_corpus.py --out-dir data/motion
_base_ = ['./clover_retrieval_demo.py']

# Every split on the motion corpus: data_root's annotations and videos.
data_root = 'data/motion'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
