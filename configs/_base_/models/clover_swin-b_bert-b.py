# The encoders every full-scale Clover model shares (docs/method.md §1):
# Video Swin-B, BERT-base with the [CLS] state, the official projection heads
# g_v / g_t onto the 768-d joint space (with the fine-tuning InfoNCE at a
# fixed temperature of 0.05) and the data preprocessor. The task bases
# (clover_{retrieval,pretrain,qa}_swin-b_bert-b.py) extend this block; the
# fusion models take `fusion` below.
# Building a model fails with FileNotFoundError naming the BERT directory
# when it is missing.
bert_dir = 'data/pretrained/bert-base-uncased'

# 8 frames -> 4 temporal tokens; 224 px -> a 7 x 7 grid. The fusion
# encoder's 4 temporal slots limit fusion models to 8 frames per view; its 3
# layers start from BERT-base layers 0-2.
fusion = dict(
    type='FusionTransformer',
    video_channels=1024,
    pretrained=bert_dir,
    num_layers=3,
    num_temporal_slots=4,
    num_spatial_tokens=49)

model = dict(
    # The official model consumes BGR frames normalised with BGR statistics
    # (docs/method.md §1.1); kept for faithfulness.
    data_preprocessor=dict(
        type='VideoTextDataPreprocessor',
        mean=[103.53, 116.28, 123.675],
        std=[57.375, 57.12, 58.395],
        channel_order='bgr'),
    video_encoder=dict(
        type='SwinTransformer3D',
        arch='base',
        patch_size=(2, 4, 4),
        window_size=(8, 7, 7),
        drop_path_rate=0.3,
        pretrained=None),
    text_encoder=dict(
        type='BertTextEncoder', pretrained=bert_dir, pooling='cls'),
    retrieval_head=dict(
        type='RetrievalHead',
        video_proj=dict(  # g_v
            type='ProjectionHead',
            in_channels=1024,
            hidden_channels=1536,
            out_channels=768,
            norm=True),
        text_proj=dict(  # g_t
            type='ProjectionHead',
            in_channels=768,
            hidden_channels=768,
            out_channels=768,
            norm=False),
        loss=dict(type='InfoNCELoss', temperature=0.05)))
