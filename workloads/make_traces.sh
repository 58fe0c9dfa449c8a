#!/usr/bin/env bash
# Capture the traces too big to commit, into DIR (default out/traces, which git ignores).
# Needs the torch extra and SmolLM2 (see workloads/README.md); runs offline.
# Usage: bash workloads/make_traces.sh [DIR]
set -euo pipefail
dir="${1:-out/traces}"
mkdir -p "$dir"
# MiniLM at its full 512 positions (BERT's maximum), as SpAtten's BERT workloads.
accelsim trace capture --model minilm --text pydoc:assignment --prompt-tokens 512 \
    -o "$dir/minilm-pydoc-512.safetensors"
# SmolLM2 on SpAtten's GPT-2 schedule: 992-token prompt + 32 decode steps (~59 MB float16).
accelsim trace capture --model smollm2 --text pydoc:assignment --prompt-tokens 992 \
    --decode-steps 32 -o "$dir/smollm2-pydoc-992-32.safetensors"
# The same in float32, for checks that need the unrounded tensors (~118 MB).
accelsim trace capture --model smollm2 --text pydoc:assignment --prompt-tokens 992 \
    --decode-steps 32 --fp32 -o "$dir/smollm2-pydoc-992-32-fp32.safetensors"
# SmolLM2 at its full 8,192 positions, streamed to disk layer by layer (~472 MB float16; docs/traces.md).
accelsim trace capture --model smollm2 --text pydoc:assignment --prompt-tokens 8192 \
    -o "$dir/smollm2-pydoc-8192.safetensors"
