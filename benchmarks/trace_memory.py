"""Peak memory of writing and reading a long trace: streamed layer by layer versus held whole.

Usage: python benchmarks/trace_memory.py [--tokens 32768] [--dir out/traces] [--eager] [--keep]

Makes a SmolLM2-135M-shaped synthetic trace (30 layers, 9 query heads, 3 KV heads, head dim 64;
``synthetic_like`` of a profile fitted on a small seeded trace of that shape, float16) of ``--tokens``
prompt tokens and 16 decode steps, streamed to DIR, then, each in a fresh interpreter, measures peak
RSS (``getrusage`` ``ru_maxrss``) and wall time of: importing accelsim (the baseline), writing,
reading every layer lazily (``read_trace``: prefill, decode and ``kv`` of each layer) and, with
``--eager``, reading it whole (``read_trace(lazy=False)``). The file is left in DIR (git ignores out/);
``--keep`` reuses it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

SHAPE = {"layers": 30, "heads": 9, "kv_heads": 3, "head_dim": 64}  # SmolLM2-135M (its config.json)
DECODE_STEPS = 16

MEASURE = """
import json, resource, sys, time
start = time.perf_counter()
{body}
print(json.dumps({{"seconds": time.perf_counter() - start,
                  "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
BODIES = {
    "import only (accelsim.trace.format)": "import accelsim.trace.format",
    "write (synthetic_like, streamed)": """
from accelsim.trace.calibrate import fit_profile
from accelsim.trace.synthetic import synthetic_like, synthetic_trace
source = synthetic_trace(**{shape}, prompt_len=256, decode_steps=0, seed=0)
synthetic_like(fit_profile(source), prompt_len={tokens}, decode_steps={steps}, seed=0, out={path!r})""",
    "read lazily, layer by layer": """
from accelsim.trace.format import read_trace
trace = read_trace({path!r})
for layer in range(trace.meta.layers):
    trace.prefill(layer); trace.decode(layer); trace.kv(layer)""",
    "read whole (lazy=False)": """
from accelsim.trace.format import read_trace
trace = read_trace({path!r}, lazy=False)""",
}


def measure(body: str) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE.format(body=body)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=32768)
    ap.add_argument("--dir", type=Path, default=Path("out/traces"))
    ap.add_argument("--eager", action="store_true")
    ap.add_argument("--keep", action="store_true", help="reuse the file of an earlier run: skip writing")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path = str(args.dir / f"synthetic-smollm2-shape-{args.tokens}.safetensors")
    print("| step | seconds | peak RSS (MB) |\n|---|---|---|")
    for name, body in BODIES.items():
        if (name.startswith("read whole") and not args.eager) or (name.startswith("write") and args.keep):
            continue
        got = measure(body.format(shape=SHAPE, tokens=args.tokens, steps=DECODE_STEPS, path=path))
        if name.startswith("write"):
            name += f", {Path(path).stat().st_size / 1e6:,.0f} MB file"
        print(f"| {name} | {got['seconds']:.1f} | {got['peak_rss_MB']:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
