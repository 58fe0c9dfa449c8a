"""Policies on a real trace and on its calibrated synthetic twin: does synthesis preserve what they feel?

Usage: python benchmarks/synthetic_vs_real.py REAL.safetensors [--budget 0.2] [--seed 0] [--layers N] [--csv out.csv]

Fits ``accelsim.trace.calibrate.fit_profile`` on REAL's prompt, generates a synthetic trace of the
same prompt length and decode steps (``synthetic_like``), then prints two Markdown tables: the
statistics ``head_stats`` measures (mean over layers and heads, and the mean absolute real-synthetic
difference per head), and each policy's decode-phase mass recall and output error at one KV budget
on both traces (SpAtten, H2O, StreamingLLM; ``accelsim.policies``). The table in docs/traces.md
comes from ``out/traces/smollm2-pydoc-2048-16.safetensors`` (``accelsim trace capture --model smollm2
--text pydoc:assignment --prompt-tokens 2048 --decode-steps 16``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from policy_table import markdown  # benchmarks/ is on the path when run as a script

from accelsim import api
from accelsim.config import load_policy
from accelsim.trace.calibrate import fit_profile, head_stats
from accelsim.trace.format import Trace, read_trace
from accelsim.trace.synthetic import synthetic_like

POLICIES = ("spatten", "h2o", "streaming")
STATS = ["sink_mass", "recent_mass", "entropy", "q_norm", "k_norm"]


def quality(name: str, budget: float, trace) -> dict:
    plan = api.plan(load_policy(name, {"budget": budget}), trace, phases="decode")
    r = plan.requests
    return {"mass_recall": r["mass_recall"].mean(), "out_err": r["out_err"].mean()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("real", type=Path)
    ap.add_argument("--budget", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--layers", type=int, help="only the first N layers of REAL (policies' cost grows as T^2 per layer)"
    )
    ap.add_argument("--csv", type=Path)
    args = ap.parse_args()
    real = read_trace(args.real)
    if args.layers:
        real = Trace(real.meta.model_copy(update={"layers": min(args.layers, real.meta.layers)}), real.tensors)
    start = time.perf_counter()
    profile = fit_profile(real)
    fitted = time.perf_counter()
    syn = synthetic_like(profile, prompt_len=real.meta.prompt_len, decode_steps=real.meta.decode_steps, seed=args.seed)
    print(
        f"fit {fitted - start:.1f} s, generate {time.perf_counter() - fitted:.1f} s; "
        f"{real.meta.layers} layers, T={real.meta.prompt_len}, S={real.meta.decode_steps}, "
        f"salience correlation rho={profile.rho:.2f}\n"
    )
    a, b = head_stats(real), head_stats(syn)
    table = pd.DataFrame(
        {
            "statistic": STATS,
            "real": a[STATS].mean().values,
            "synthetic": b[STATS].mean().values,
            "mean abs diff per head": (a[STATS] - b[STATS]).abs().mean().values,
        }
    )
    print(markdown(table) + "\n")
    rows = []
    for name in POLICIES:
        got = {kind: quality(name, args.budget, t) for kind, t in (("real", real), ("synthetic", syn))}
        rows.append(
            {
                "policy": name,
                "budget": f"{args.budget:.0%}",
                "recall real": got["real"]["mass_recall"],
                "recall synthetic": got["synthetic"]["mass_recall"],
                "out_err real": got["real"]["out_err"],
                "out_err synthetic": got["synthetic"]["out_err"],
            }
        )
    df = pd.DataFrame(rows)
    if args.csv:
        df.to_csv(args.csv, index=False)
    print(markdown(df))


if __name__ == "__main__":
    main()
