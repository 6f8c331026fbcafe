#!/usr/bin/env bash
# The CPU demo of open-ended video QA: fine-tune the demo pre-training
# checkpoint to answer questions about the synthetic corpus' videos (colour,
# shape, size, direction, speed, object count), then compare the test
# accuracy with the majority-answer baseline (each question answered with the
# most frequent training answer of its type), overall and per type.
#   bash tools/demo_pretrain.sh   # first: corpus, MiniLM link, checkpoint
#   bash tools/demo_qa.sh [WORK_DIR]
# The last line printed is one JSON object: {"accuracy": ..., "baseline": ...}
# with the keys acc and acc/<question type>, in %.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
CONFIG=configs/demo/clover_qa_demo.py
WORK_DIR=${1:-work_dirs/demo_qa}
PRETRAIN_DIR=work_dirs/demo_pretrain

pretrained=$(ls -t "$PRETRAIN_DIR"/epoch_*.pth 2>/dev/null | head -n 1 || true)
if [ -z "$pretrained" ]; then
    echo "No demo pre-training checkpoint ($PRETRAIN_DIR/epoch_*.pth)." \
        "Run this first: bash tools/demo_pretrain.sh" >&2
    exit 1
fi

$PY tools/data/make_demo_qa.py --demo-dir data/demo
$PY tools/train.py $CONFIG --work-dir "$WORK_DIR" \
    --cfg-options load_from="$pretrained"
best=$(ls -t "$WORK_DIR"/best_*.pth | head -n 1)
$PY tools/test.py $CONFIG "$best" --work-dir "$WORK_DIR" \
    | tee "$WORK_DIR/test_output.txt"
metrics=$(tail -n 1 "$WORK_DIR/test_output.txt")
baseline=$($PY tools/data/make_demo_qa.py --demo-dir data/demo --baseline)

$PY - "$metrics" "$baseline" <<'PYTHON'
import json
import sys

prefix = 'demo_qa/'
metrics, baseline = (json.loads(arg) for arg in sys.argv[1:])
accuracy = {
    key[len(prefix):]: value
    for key, value in metrics.items() if key.startswith(prefix + 'acc')
}
print(f"{'test questions':<16}{'Clover':>10}{'majority':>10}")
for key in sorted(accuracy, key=lambda key: (key != 'acc', key)):
    name = 'all' if key == 'acc' else key.split('/', 1)[1]
    print(f'{name:<16}{accuracy[key]:>10.1f}{baseline[key]:>10.1f}')
print(json.dumps(dict(
    accuracy=accuracy,
    baseline=baseline,
    num_questions=metrics[prefix + 'num_questions'])))
PYTHON
