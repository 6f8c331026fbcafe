# Clover's pre-training losses (docs/method.md §2.4, §2.6), shared by the
# full model (clover_pretrain_swin-b_bert-b.py) and the CPU demo's
# (clover_demo-tiny.py): tri-modal alignment in both directions (margin 5,
# tau 0.05) and focal MLM. Each model puts them into its PretrainHead:
# `pretrain_head=dict(_base_.pretrain_losses, type='PretrainHead', ...)`.
pretrain_losses = dict(
    video_anchor_loss=dict(
        type='TriModalAlignmentLoss', prefix='', margin=5.0,
        temperature=0.05),
    text_anchor_loss=dict(
        type='TriModalAlignmentLoss', prefix='v_', margin=5.0,
        temperature=0.05),
    mlm_loss=dict(type='FocalMLMLoss', gamma=2.0))
