#!/usr/bin/env bash
# The main job: set up, simulate SpAtten and the dense baseline on the authors' GPT-2-small trace,
# then sweep a small grid around SpAtten (sweeps/quickstart.yaml); results under results/quickstart/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
out=results/quickstart
mkdir -p "$out"
wl=workloads/spatten
accelsim run --hw spatten --policy spatten -w "$wl/summary-gpt2-small-wikitext2-per8.csv" -o "$out/spatten.json" \
  --report "$out/spatten.html"
accelsim run --hw dense --policy dense -w "$wl/summary-gpt2-small-wikitext2-per8-step1+dedic.csv" -o "$out/dense.json"
accelsim sweep sweeps/quickstart.yaml -o "$out/sweep"
echo "results written to $out/ (open $out/spatten.html in a browser)"
