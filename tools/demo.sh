#!/usr/bin/env bash
# The CPU demo, from a fresh clone: install, make the synthetic corpus, train
# text-video retrieval, then evaluate the best checkpoint on the test split.
#   bash tools/demo.sh [WORK_DIR]
# The last line printed is one JSON object with the test metrics (and the
# chance level of each recall).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
CONFIG=configs/demo/clover_retrieval_demo.py
WORK_DIR=${1:-work_dirs/demo}

bash tools/prepare_demo.sh
$PY tools/train.py $CONFIG --work-dir "$WORK_DIR"
best=$(ls -t "$WORK_DIR"/best_*.pth | head -n 1)
$PY tools/test.py $CONFIG "$best" --work-dir "$WORK_DIR"
