# DeepSpeed ZeRO stage 2 (gradients and optimizer states sharded over the
# ranks) through MMEngine's FlexibleRunner. Needs the deepspeed package
# (`pip install deepspeed`); building the runner fails naming it when it is
# missing. Add this file to a leaf's _base_. clover.utils.build_runner
# moves the config's precision (AmpOptimWrapper dtype and loss scale) and
# gradient clipping into this strategy, since DeepSpeed owns both, and
# makes the optim wrapper a DeepSpeedOptimWrapper. DeepSpeed's fp16 / bf16
# modes hold the model in half precision; the data preprocessor hands the
# clips over in the dtype of its own buffers, which DeepSpeed casts too.
# See docs/efficiency.md.
strategy = dict(
    type='DeepSpeedStrategy',
    zero_optimization=dict(
        stage=2,
        allgather_partitions=True,
        allgather_bucket_size=int(5e8),
        reduce_scatter=True,
        reduce_bucket_size=int(5e8),
        overlap_comm=True,
        contiguous_gradients=True))
