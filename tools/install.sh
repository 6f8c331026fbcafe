#!/usr/bin/env bash
# Installs Clover and what it needs into the current Python, idempotently.
#   bash tools/install.sh           # runtime: torch, MMEngine, decoders, BERT
#   bash tools/install.sh --tests   # plus the test suite's references and assets,
#                                   # the optional spaCy tagger and (as root, with
#                                   # apt) Debian's ffmpeg
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
echo "[install] installing Clover and its dependencies into $($PY -c 'import sys; print(sys.prefix)')"
if ! $PY -c 'import torch' 2>/dev/null; then
    # On a machine of this project's kind this wheel is on disk (CPU build).
    $PIP torch==2.13.0
fi
$PIP -r requirements/runtime.txt
$PIP --no-deps -r requirements/mminstall.txt
if [[ $WITH_TESTS == 1 ]]; then
    $PIP pytest
    $PIP --no-deps -r requirements/tests.txt
    $PIP -r requirements/optional.txt  # spaCy: semantic masking tests
    # The ffmpeg command line writes the decoder tests' VP9, HEVC, variable
    # frame rate and rotated files (those tests skip without it).
    if ! command -v ffmpeg >/dev/null && command -v apt-get >/dev/null \
            && [[ $(id -u) == 0 ]]; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null) \
            || echo "[install] could not install ffmpeg; its tests will skip"
    fi
fi
$PIP --no-deps --no-build-isolation -e .
$PY - <<'PYEOF'
import cv2, mmengine, torch, transformers, clover
print(f'[install] torch {torch.__version__}, mmengine {mmengine.__version__}, '
      f'transformers {transformers.__version__}, opencv {cv2.__version__}, clover {clover.__version__}')
PYEOF
echo "$stamp" > $stamp_file
