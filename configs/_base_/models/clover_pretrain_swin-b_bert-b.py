# Clover's pre-training model (clover_method.md §1-§2): Video Swin-B with a
# mask token, BERT-base ([CLS] state), a 3-layer fusion encoder initialised
# from BERT-base layers 0-2, the official projection heads, tri-modal
# alignment in both directions (margin 5, tau 0.05) and focal MLM.
# Building the model fails with FileNotFoundError naming the BERT directory
# when it is missing; the Swin checkpoint is read by init_weights at the start
# of training and fails there, naming the file.
bert_dir = 'data/pretrained/bert-base-uncased'
swin_checkpoint = \
    'data/pretrained/swin_base_patch244_window877_kinetics400_22k.pth'


def projection(in_channels, hidden_channels, norm, dropout=0.):
    """A 2-layer projection head onto the 768-d joint space."""
    return dict(
        type='ProjectionHead',
        in_channels=in_channels,
        hidden_channels=hidden_channels,
        out_channels=768,
        norm=norm,
        dropout=dropout)


model = dict(
    type='CloverPretrain',
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
        use_mask_token=True,
        pretrained=swin_checkpoint),
    text_encoder=dict(
        type='BertTextEncoder', pretrained=bert_dir, pooling='cls'),
    video_head=projection(1024, 1536, norm=True),  # g_v
    text_head=projection(768, 768, norm=False),  # g_t
    # 8 frames -> 4 temporal tokens; 224 px -> a 7 x 7 grid.
    fusion=dict(
        type='FusionTransformer',
        video_channels=1024,
        pretrained=bert_dir,
        num_layers=3,
        num_temporal_slots=4,
        num_spatial_tokens=49),
    fused_video_head=projection(768, 1536, norm=True),  # h_V
    fused_text_head=projection(768, 768, norm=False, dropout=0.1),  # h_T
    mlm_head=dict(type='MLMHead', pretrained=bert_dir),
    video_anchor_loss=dict(
        type='TriModalAlignmentLoss', prefix='', margin=5.0,
        temperature=0.05),
    text_anchor_loss=dict(
        type='TriModalAlignmentLoss', prefix='v_', margin=5.0,
        temperature=0.05),
    mlm_loss=dict(type='FocalMLMLoss', gamma=2.0))
