# Fully sharded data parallel training (FSDP, ZeRO-3-like: parameters,
# gradients and optimizer states sharded over the ranks) through MMEngine's
# FlexibleRunner. Add this file to a leaf's _base_; a config with a
# `strategy` runs under CloverFlexibleRunner (clover.utils.build_runner
# picks it), started as before by tools/dist_train.sh or slurm_train.sh.
# See docs/efficiency.md.
strategy = dict(
    type='CloverFSDPStrategy',
    model_wrapper=dict(
        type='MMFullyShardedDataParallel',
        # One FSDP unit per Swin block and BERT layer (MMEngine looks the
        # name up in its root registry, hence the scope prefix).
        auto_wrap_policy='clover.transformer_block_wrap_policy',
        # The optimizer's parameter groups (paramwise_cfg: no decay on
        # norms and biases, lr multipliers) need the original parameters.
        use_orig_params=True),
    # Checkpoints hold the full state dict on rank 0, loadable by every
    # tool (tools/test.py, load_from, the inferencers) without FSDP.
    state_dict_cfg='full')
