#!/usr/bin/env bash
# Installs Clover with its test dependencies (idempotent), then runs the suite.
#   bash tools/run_tests.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh --tests
exec "${PYTHON:-python3}" -m pytest tests "$@"
