#!/usr/bin/env bash
# Set up (scripts/setup.sh), lint, then run the test suite on all cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=${PYTHON:-python3}
"$PY" -m ruff check .
"$PY" -m pytest -n "${JOBS:-auto}" -q "$@"
