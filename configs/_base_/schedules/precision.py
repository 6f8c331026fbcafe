# Mixed-precision settings to merge into a schedule's optim_wrapper. A leaf
# lists this file in its _base_ and sets
#     optim_wrapper = {{_base_.bf16_amp}}    # or {{_base_.fp16_amp}}
# The schedule's lr, clipping and parameter groups stay. (MMEngine refuses
# the same top-level key in two _base_ files, so these are variables, not
# optim_wrapper pieces.) AmpOptimWrapper needs an accelerator (CUDA, NPU,
# MLU, MUSA). The losses compute in fp32 under either autocast
# (clover.models.utils.precision). Both use PyTorch's fused AdamW: one
# kernel for all parameters, and GradScaler's inf check stays on the device
# (`--cfg-options optim_wrapper.optimizer.fused=False` for the loop
# implementation). See docs/efficiency.md.

# fp16 autocast with a dynamic loss scale (the official recipe's precision).
fp16_amp = dict(
    type='AmpOptimWrapper',
    dtype='float16',
    loss_scale='dynamic',
    optimizer=dict(fused=True))
# bf16 autocast without loss scaling: bf16 has fp32's exponent range, so
# gradients do not underflow (GPUs with bf16: A100, H100, H200, ...).
bf16_amp = dict(
    type='AmpOptimWrapper',
    dtype='bfloat16',
    loss_scale=dict(enabled=False),
    optimizer=dict(fused=True))
