#!/usr/bin/env bash
# The main job: set up, then sweep a small grid around SpAtten on the authors' GPT-2-small trace
# (sweeps/quickstart.yaml) and write its report; also one event-engine run of SpAtten and of the
# dense baseline, with the run's report. Everything lands in results/quickstart/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
out=results/quickstart
mkdir -p "$out"
wl=workloads/spatten
accelsim sweep sweeps/quickstart.yaml -o "$out/sweep" --report "$out/sweep.html"
accelsim run --hw spatten --policy spatten -w "$wl/summary-gpt2-small-wikitext2-per8.csv" -o "$out/spatten.json" \
  --report "$out/spatten.html"
accelsim run --hw dense --policy dense -w "$wl/summary-gpt2-small-wikitext2-per8-step1+dedic.csv" -o "$out/dense.json"
accelsim validate --report "$out/validate.html" --markdown "$out/validate.md"
echo "results in $out/: open $out/sweep.html, $out/spatten.html and $out/validate.html in a browser"
