#!/usr/bin/env bash
# CUDA correctness and speed of Clover at full size, on one GPU, in one go:
#   1. a few training steps of every task model (pre-training, retrieval,
#      open-ended QA, multiple choice, fill-in-the-blank) in fp16 and bf16
#      (bf16 where the GPU has it): finite losses, every parameter, gradient
#      and optimizer state on the GPU (tools/analysis/check_train_steps.py);
#   2. the pre-training step against the faithful reference step
#      (tools/analysis/benchmark_train_step.py): first-step losses agree, and
#      clips/s, peak memory and the speed-up of each variant, and the top
#      kernels of each step (--profile).
# Random weights (no pretrained file is read), Video Swin-B + BERT-base.
#
#   bash tools/analysis/gpu_check.sh            # on a CUDA machine
#   bash tools/analysis/gpu_check.sh --tiny     # CPU, tiny widths, ~1-2 min
#
# Extra arguments go to the benchmark (e.g. --variants bf16,bf16-compile).
# The exit status is non-zero if any check fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python}
start=$SECONDS

if [[ "${1:-}" == "--tiny" ]]; then
    shift
    "$PYTHON" tools/analysis/check_train_steps.py --tiny --batch 2 --iters 2
    "$PYTHON" tools/analysis/benchmark_train_step.py --tiny --variants fp32 \
        --warmup 1 --iters 1 "$@"
else
    if ! "$PYTHON" -c 'import torch, sys; sys.exit(not torch.cuda.is_available())'; then
        echo "gpu_check.sh: no CUDA device (torch.cuda.is_available() is False); use --tiny on a CPU machine" >&2
        exit 2
    fi
    "$PYTHON" tools/analysis/check_train_steps.py
    "$PYTHON" tools/analysis/benchmark_train_step.py --profile "$@"
fi
echo "gpu_check.sh: all checks passed in $((SECONDS - start)) s"
