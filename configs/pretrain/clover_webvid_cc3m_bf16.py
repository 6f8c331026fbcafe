# Clover pre-training (clover_webvid_cc3m.py) in bf16 for GPUs that have it
# (A100, H100, H200): bf16 autocast without loss scaling and the fused
# AdamW kernel (configs/_base_/schedules/precision.py). Everything else
# (data, lr, clipping, parameter groups, schedule) is the fp16 recipe's,
# which stays the default as the official code trains. The same two lines
# switch any other leaf to bf16. See docs/efficiency.md.
_base_ = ['./clover_webvid_cc3m.py', '../_base_/schedules/precision.py']

optim_wrapper = {{_base_.bf16_amp}}
