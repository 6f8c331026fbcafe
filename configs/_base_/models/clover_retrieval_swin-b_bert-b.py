# Clover's retrieval (fine-tuning) model, as in the paper: Video Swin-B,
# BERT-base with the [CLS] state, the official projection heads, InfoNCE at a
# fixed temperature of 0.05 (clover_method.md §1 and §4).
model = dict(
    type='CloverRetrieval',
    # The official model consumes BGR frames normalised with BGR statistics
    # (clover_method.md §1.1); kept for faithfulness.
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
        type='BertTextEncoder',
        pretrained='data/pretrained/bert-base-uncased',
        pooling='cls'),
    video_head=dict(
        type='ProjectionHead',
        in_channels=1024,
        hidden_channels=1536,
        out_channels=768,
        norm=True),
    text_head=dict(
        type='ProjectionHead',
        in_channels=768,
        hidden_channels=768,
        out_channels=768,
        norm=False),
    loss=dict(type='InfoNCELoss', temperature=0.05))
