# Tiny Clover pre-training with MultiSourceTrainLoop (videos and still
# frames alternating, as WebVid and CC3M) and every source of randomness
# on, for the exact-resume tests: the pipeline, workers, EMA and
# checkpoints of tiny_exact_resume.py, and a model that trains on the text
# and video masks (MLM, masked video), with dropout and stochastic depth.
_base_ = ['./tiny_exact_resume.py']

bert = dict(
    vocab_size=30522,
    hidden_size=16,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=32,
    hidden_dropout_prob=0.2,
    attention_probs_dropout_prob=0.2)

head = dict(
    type='ProjectionHead',
    in_channels=16,
    hidden_channels=16,
    out_channels=8,
    norm=True,
    dropout=0.2)

model = dict(
    _delete_=True,
    type='CloverPretrain',
    data_preprocessor=dict(type='VideoTextDataPreprocessor'),
    video_encoder=dict(
        type='SwinTransformer3D',
        arch=dict(embed_dims=8, depths=[1, 1], num_heads=[1, 2]),
        window_size=(2, 4, 4),
        drop_path_rate=0.3,
        use_mask_token=True),
    text_encoder=dict(type='BertTextEncoder', config=bert, pooling='mean'),
    retrieval_head=dict(
        type='RetrievalHead',
        video_proj=head,
        text_proj=dict(head, norm=False),
        # The pre-training head owns the losses.
        loss=None),
    # 4 frames at 32 px -> 2 temporal slots of a 4 x 4 grid.
    fusion=dict(
        type='FusionTransformer',
        video_channels=16,
        config=bert,
        num_layers=1,
        num_temporal_slots=2,
        num_spatial_tokens=16),
    pretrain_head=dict(
        type='PretrainHead',
        fused_video_proj=head,
        fused_text_proj=dict(head, norm=False),
        mlm_head=dict(type='MLMHead', config=bert)))

# 2 video + 2 image batches: 4 iterations per epoch, as in the base.
train_dataloader = dict(batch_size=8)
train_cfg = dict(
    type='MultiSourceTrainLoop',
    other_dataloaders=[{{_base_.image_dataloader}}],
    source_names=('video', 'image'))
