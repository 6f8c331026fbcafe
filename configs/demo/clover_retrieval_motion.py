# The retrieval demo recipe on the motion corpus (a second synthetic corpus:
# spinning / growing / shrinking / zigzagging shapes over panning textures,
# one caption per clip). Write it with
#   python tools/data/make_motion_corpus.py --out-dir data/motion
_base_ = ['./clover_retrieval_demo.py']

# Every split on the motion corpus: data_root's annotations and videos.
data_root = 'data/motion'
# Batch 16 instead of 32: with one caption per clip and 480 clips, batch 32
# gives 15 updates per epoch (330 in the 22 epochs), too few for the
# from-scratch video tower; 16 doubles the updates at the same compute per
# epoch (chance is then 2 ln 16 = 5.55). The lr is not rescaled.
train_dataloader = dict(batch_size=16, dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
