"""Capture speed and memory: tokens/s of prefill and greedy decode, capture on vs off.

Covers: ``accelsim.models.capture`` on the two offline models (MiniLM prefill; SmolLM2 prefill and
decode). Scenario: T prompt tokens of CPython's pydoc text, then S greedy steps, on one torch
thread. Each model runs in a fresh subprocess; "off" runs the same forward passes with plain sdpa
(a DynamicCache loop for decode), "on" runs :func:`capture`; decode time is (prefill + S steps)
minus prefill alone. Off and on runs are interleaved and the best of REPEATS is kept, so a busy
machine (this one is shared) skews both alike. Peak RSS is read after the off runs, then after
the first on runs: the difference is what capture holds (the trace, mostly).

Usage: ``python benchmarks/bench_capture.py [--json OUT]`` (offline: HF_HUB_OFFLINE is set).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

REPEATS = 3
THREADS = 1  # two threads thrash on a 2-core machine
SETTINGS = {"minilm": (256, 0), "smollm2": (512, 32)}  # model: (prompt tokens T, decode steps S)


def run_model(model_name: str) -> list[dict[str, float | str | int]]:
    """Measure one model, capture off and on, in this process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # local models only
    import torch
    from transformers import DynamicCache

    from accelsim.models.capture import capture
    from accelsim.models.loading import load_model, resolve_model
    from accelsim.models.text import load_text

    torch.set_num_threads(THREADS)
    t, s = SETTINGS[model_name]
    model, tokenizer = load_model(resolve_model(model_name))
    text, _ = load_text("pydoc:assignment")
    ids = tokenizer(text, truncation=True, max_length=t)["input_ids"]
    x = torch.tensor([ids])
    is_lm = model.get_output_embeddings() is not None

    def off(steps: int) -> None:  # what capture runs, without its attention implementation
        with torch.inference_mode():
            cache = DynamicCache()
            lm = {"cache": cache, "use_cache": True, "logits_to_keep": 1} if is_lm else {}
            out = model(input_ids=x, **lm)
            for _ in range(steps):
                out = model(input_ids=out.logits[:, -1].argmax(-1, keepdim=True), **lm)

    trace_mb = 0.0

    def on(steps: int) -> None:
        nonlocal trace_mb
        tensors = capture(model, ids, decode_steps=steps).trace.tensors
        trace_mb = max(trace_mb, sum(a.nbytes for a in tensors.values()) / 2**20)

    def seconds(fn, steps: int) -> float:
        t0 = time.perf_counter()
        fn(steps)
        return time.perf_counter() - t0

    # Peak RSS: every "off" configuration first, then "on" (ru_maxrss only grows).
    modes = {"off": off, "on": on}
    best: dict[tuple[str, int], float] = {}
    rss: dict[str, float] = {}
    for mode, fn in modes.items():
        for steps in sorted({0, s}):
            best[mode, steps] = seconds(fn, steps)
        rss[mode] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Times: off and on interleaved, so a busy machine slows both alike; best of REPEATS.
    for _ in range(REPEATS - 1):
        for mode, fn in modes.items():
            for steps in sorted({0, s}):
                best[mode, steps] = min(best[mode, steps], seconds(fn, steps))
    rows: list[dict[str, float | str | int]] = []
    for mode in modes:
        row: dict[str, float | str | int] = {"model": model_name, "mode": mode, "T": t, "S": s,
                                             "prefill_tok_s": t / best[mode, 0],
                                             "peak_rss_mb": rss[mode]}
        if mode == "on":
            row["trace_mb"] = trace_mb
        if s:
            row["decode_tok_s"] = s / max(best[mode, s] - best[mode, 0], 1e-9)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--one", metavar="MODEL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_model(args.one)))
        return
    rows = []
    for model_name in SETTINGS:
        out = subprocess.run([sys.executable, __file__, "--one", model_name],
                             check=True, capture_output=True, text=True).stdout
        rows += json.loads(out.strip().splitlines()[-1])
    load = os.getloadavg()[0]
    print(f"torch threads: {THREADS}, best of {REPEATS}, 1-min load average {load:.2f}")
    print("| model | capture | T | S | prefill tok/s | decode tok/s | peak RSS MiB | trace MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        dec = f"{r['decode_tok_s']:.1f}" if "decode_tok_s" in r else "-"
        size = f"{r['trace_mb']:.1f}" if "trace_mb" in r else "-"
        print(f"| {r['model']} | {r['mode']} | {r['T']} | {r['S']} | {r['prefill_tok_s']:.0f} "
              f"| {dec} | {r['peak_rss_mb']:.0f} | {size} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"threads": THREADS, "repeats": REPEATS, "load_avg_1min": load,
                       "rows": rows}, fh, indent=2)


if __name__ == "__main__":
    main()
