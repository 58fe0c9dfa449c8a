"""Capture speed and memory: tokens/s of prefill and greedy decode, capture on vs off.

Covers: ``accelsim.models.capture`` on the two offline models (MiniLM prefill; SmolLM2 prefill and
decode). Scenario: T prompt tokens of CPython's pydoc text, then S greedy steps, on one torch
thread. Each (model, mode) runs in a fresh subprocess so its peak RSS is its own; times are the
best of REPEATS runs. "off" runs the same forward passes with plain sdpa (a DynamicCache loop for
decode); "on" runs :func:`capture`, whose decode time is (prefill + S steps) minus prefill alone.

Usage: ``HF_HUB_OFFLINE=1 python benchmarks/bench_capture.py [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

REPEATS = 2
THREADS = 1  # two threads thrash on a 2-core machine
SETTINGS = {"minilm": (256, 0), "smollm2": (512, 32)}  # model: (prompt tokens T, decode steps S)


def _best(fn) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run_one(model_name: str, mode: str) -> dict[str, float | str | int]:
    """Measure one (model, mode) in this process."""
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

    def plain(steps: int) -> None:
        with torch.inference_mode():
            cache = DynamicCache()
            kw = {"cache": cache, "use_cache": True} if is_lm else {}
            out = model(input_ids=x, **kw)
            for _ in range(steps):
                nxt = out.logits[:, -1].argmax(-1, keepdim=True)
                out = model(input_ids=nxt, cache=cache, use_cache=True)

    def captured(steps: int) -> None:
        capture(model, ids, decode_steps=steps)

    fn = plain if mode == "off" else captured
    prefill = _best(lambda: fn(0))
    row: dict[str, float | str | int] = {"model": model_name, "mode": mode, "T": t, "S": s,
                                         "prefill_tok_s": t / prefill}
    if s:
        row["decode_tok_s"] = s / max(_best(lambda: fn(s)) - prefill, 1e-9)
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--one", nargs=2, metavar=("MODEL", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(*args.one)))
        return
    rows = []
    for model_name in SETTINGS:
        for mode in ("off", "on"):
            out = subprocess.run([sys.executable, __file__, "--one", model_name, mode],
                                 check=True, capture_output=True, text=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
    load = os.getloadavg()[0]
    print(f"torch threads: {THREADS}, best of {REPEATS}, 1-min load average {load:.2f}")
    print("| model | capture | T | S | prefill tok/s | decode tok/s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        dec = f"{r['decode_tok_s']:.1f}" if "decode_tok_s" in r else "-"
        print(f"| {r['model']} | {r['mode']} | {r['T']} | {r['S']} | {r['prefill_tok_s']:.0f} "
              f"| {dec} | {r['peak_rss_mb']:.0f} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"threads": THREADS, "repeats": REPEATS, "load_avg_1min": load,
                       "rows": rows}, fh, indent=2)


if __name__ == "__main__":
    main()
