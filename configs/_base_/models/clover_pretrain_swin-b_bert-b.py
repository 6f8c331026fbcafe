# Clover's pre-training model (docs/method.md §1-§2): the shared Video Swin-B
# (with a mask token, from the Kinetics checkpoint) and BERT-base encoders,
# g_v / g_t, the 3-layer fusion encoder, the fused projections h_V / h_T,
# tri-modal alignment in both directions (margin 5, tau 0.05) and focal MLM.
# The Swin checkpoint is read by init_weights at the start of training and
# fails there, naming the file.
_base_ = ['./clover_swin-b_bert-b.py', './clover_pretrain_losses.py']
swin_checkpoint = \
    'data/pretrained/swin_base_patch244_window877_kinetics400_22k.pth'

model = dict(
    type='CloverPretrain',
    video_encoder=dict(use_mask_token=True, pretrained=swin_checkpoint),
    # The pre-training head owns the losses.
    retrieval_head=dict(loss=None),
    fusion={{_base_.fusion}},
    pretrain_head=dict(
        _base_.pretrain_losses,
        type='PretrainHead',
        fused_video_proj=dict(  # h_V
            type='ProjectionHead',
            in_channels=768,
            hidden_channels=1536,
            out_channels=768,
            norm=True),
        fused_text_proj=dict(  # h_T
            type='ProjectionHead',
            in_channels=768,
            hidden_channels=768,
            out_channels=768,
            norm=False,
            dropout=0.1),
        mlm_head=dict(type='MLMHead', pretrained={{_base_.bert_dir}})))
