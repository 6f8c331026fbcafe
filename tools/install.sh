#!/usr/bin/env bash
# Installs Clover and what it needs into the current Python, idempotently.
#   bash tools/install.sh           # runtime: torch, MMEngine, decoders, BERT
#   bash tools/install.sh --tests   # plus the test suite's references and assets,
#                                   # the optional extras (spaCy tagger, FAISS,
#                                   # TensorBoard, gradio), selenium and (as
#                                   # root, with apt) Debian's ffmpeg, chromium
#                                   # and chromium-driver
# A torch that is already installed (a user's own CUDA build) is kept. A second
# run with nothing changed returns in about a second (a stamp file records what
# was installed).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
WITH_TESTS=0
[[ "${1:-}" == "--tests" ]] && WITH_TESTS=1
export PIP_ROOT_USER_ACTION=ignore
PIP="$PY -m pip install --disable-pip-version-check -q"

stamp_file=.install_stamp
stamp="$($PY -c 'import sys; print(sys.executable)') $WITH_TESTS $(cat setup.py requirements/*.txt | sha1sum | cut -c1-16)"
# Up to date: same interpreter, same requirements, and `clover` imports from
# this checkout (an editable install of another clone would shadow it).
# (Checked from / so that the current directory is not on sys.path.)
repo=$(pwd)
if [[ -f $stamp_file ]] && grep -qxF "$stamp" $stamp_file && (cd / && $PY -c "
import os, clover, torch, mmengine
assert os.path.samefile(os.path.dirname(os.path.dirname(clover.__file__)), '$repo')
") 2>/dev/null; then
    exit 0
fi
mkdir -p work_dirs
LOG=work_dirs/install.log
: > $LOG
echo "[install] installing Clover into $($PY -c 'import sys; print(sys.prefix)') (pip's output: $LOG)"
# One line per stage; pip's own output goes to the log, shown only on failure.
stage() {
    local name=$1
    shift
    if ! "$@" >>$LOG 2>&1; then
        echo "[install] $name: FAILED; the end of $LOG:" >&2
        tail -n 30 $LOG >&2
        exit 1
    fi
    echo "[install] $name: done"
}
if ! $PY -c 'import torch' 2>/dev/null; then
    # On a machine of this project's kind this wheel is on disk (CPU build).
    stage "torch 2.13.0 (CPU)" $PIP torch==2.13.0
fi
stage "runtime dependencies" $PIP -r requirements/runtime.txt
stage "OpenMMLab packages" $PIP --no-deps -r requirements/mminstall.txt
if [[ $WITH_TESTS == 1 ]]; then
    stage "pytest" $PIP pytest
    stage "test references and assets" $PIP --no-deps -r requirements/tests.txt
    stage "optional extras (spaCy tagger, FAISS, TensorBoard, gradio)" $PIP -r requirements/optional.txt
    # The ffmpeg command line writes the decoder tests' VP9, HEVC, variable
    # frame rate and rotated files (those tests skip without it).
    if ! command -v ffmpeg >/dev/null && command -v apt-get >/dev/null \
            && [[ $(id -u) == 0 ]]; then
        if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -qq --no-install-recommends ffmpeg) >>$LOG 2>&1; then
            echo "[install] ffmpeg (Debian): done"
        else
            echo "[install] ffmpeg (Debian): could not install it; its tests will skip"
        fi
    fi
    stage "selenium (web UI test)" $PIP -r requirements/browser_tests.txt
    # Debian's chromium and its driver: the web UI test drives a real
    # headless browser (it skips, saying so, without them).
    if ! { command -v chromium && command -v chromedriver; } >/dev/null \
            && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
        if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -qq --no-install-recommends chromium \
                chromium-driver) >>$LOG 2>&1; then
            echo "[install] chromium and chromium-driver (Debian): done"
        else
            echo "[install] chromium (Debian): could not install it; the web UI test will skip"
        fi
    fi
fi
stage "clover (editable)" $PIP --no-deps --no-build-isolation -e .
$PY - <<'PYEOF'
import cv2, mmengine, torch, transformers, clover
print(f'[install] ready: torch {torch.__version__}, mmengine {mmengine.__version__}, '
      f'transformers {transformers.__version__}, opencv {cv2.__version__}, clover {clover.__version__}')
PYEOF
echo "$stamp" > $stamp_file
