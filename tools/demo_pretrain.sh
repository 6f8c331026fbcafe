#!/usr/bin/env bash
# The CPU demo of pre-training: the synthetic corpus' videos and still frames
# as the two sources, all five loss terms, then zero-shot text-to-video
# retrieval on the demo's test split with the last checkpoint.
#   bash tools/demo_pretrain.sh [WORK_DIR]
# The last line printed is one JSON object with the zero-shot test metrics.
# tools/analysis/pretrain_ablation.py compares the loss terms on this setup.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
CONFIG=configs/demo/clover_pretrain_demo.py
WORK_DIR=${1:-work_dirs/demo_pretrain}

bash tools/prepare_demo.sh --pretrain
$PY tools/train.py $CONFIG --work-dir "$WORK_DIR"
last=$(ls -t "$WORK_DIR"/epoch_*.pth | head -n 1)
$PY tools/test.py $CONFIG "$last" --work-dir "$WORK_DIR"
