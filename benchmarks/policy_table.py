"""The policy table of docs/policies.md: every policy at matched KV budgets on one trace.

Usage: python benchmarks/policy_table.py [TRACE.safetensors] [--budgets 0.1 0.2 0.5] [--hw spatten]
       [--engines quickselect statistical] [--csv out.csv]
Without a trace it uses a seeded synthetic decoder trace (8 layers, 8 query heads, 2 KV heads,
head dim 64, 512-token prompt, 32 decode steps). Decode steps only (every policy's prefill is
dense). For each policy and budget: the top-k engine that ran (the hardware's, ``hw.topk.engine``,
which phase 1 selects with and phase 2 times; "—" for a plan without top-k jobs), the mean fetched
KV fraction (``kv_frac``, ``accelsim.policies.common.fetched_kv_fraction``), DRAM bytes, cycles
and energy of the plan on the hardware, and the quality proxies averaged over requests. The first
engine of ``--engines`` runs every row; SpAtten also runs on each other one. Prints a Markdown
table, then two sanity checks on the first engine's rows: the oracle bounds every policy's mass
recall at each budget, and more budget never lowers a policy's recall.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from accelsim import api
from accelsim.config import load_hardware, load_policy
from accelsim.policies.common import fetched_kv_fraction
from accelsim.trace.synthetic import synthetic_trace

BUDGETED = ("oracle", "streaming", "h2o", "snapkv", "duo", "recycled", "a2ats", "spatten")
FIXED = ("dense", "spatten", "zipcache")  # no KV budget: their own defaults
SYNTHETIC = {"layers": 8, "heads": 8, "kv_heads": 2, "head_dim": 64, "prompt_len": 512, "decode_steps": 32, "seed": 0}


def row(hw, name: str, budget: float | None, trace) -> dict:
    plan = api.plan(load_policy(name, {"budget": budget} if budget is not None else {}), trace, phases="decode",
                    engine=api.plan_engine(hw, replayed=False))
    res, _ = api.simulate(hw, plan)
    r = plan.requests
    return {"policy": name, "engine": plan.engine_record()[0] if len(plan.topk) else "—", "budget": budget,
            "kv_frac": fetched_kv_fraction(plan), "dram_MB": res.dram_bytes / 1e6,
            "side_MB": res.dram_bytes_by["side"] / 1e6, "cycles_k": res.cycles / 1e3,
            "energy_uJ": res.energy_j * 1e6, "mass_recall": r["mass_recall"].mean(),
            "topk_recall": r["topk_recall"].mean(), "out_err": r["out_err"].mean(),
            "min_recall": r["mass_recall"].min()}


def markdown(df: pd.DataFrame) -> str:
    """A Markdown table; floats to 4 significant digits."""
    cells = [[f"{v:.4g}" if isinstance(v, float) else str(v) for v in rec] for rec in df.itertuples(index=False)]
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace", nargs="?", help="trace (.safetensors); default: synthetic decoder trace")
    ap.add_argument("--budgets", type=float, nargs="+", default=[0.1, 0.2, 0.5])
    ap.add_argument("--hw", default="spatten")
    ap.add_argument("--engines", nargs="+", default=["quickselect", "statistical"])
    ap.add_argument("--csv", type=Path)
    args = ap.parse_args()
    trace = api.load_workload(args.trace) if args.trace else synthetic_trace(**SYNTHETIC)
    hw, *others = (load_hardware(args.hw, {"topk": {"engine": e}}) for e in args.engines)
    rows = [row(hw, name, None, trace) for name in FIXED]
    rows += [row(other, "spatten", None, trace) for other in others]
    rows += [row(hw, name, b, trace) for b in args.budgets for name in BUDGETED]
    rows += [row(other, "spatten", b, trace) for b in args.budgets for other in others]
    df = pd.DataFrame(rows)
    if args.csv:
        df.to_csv(args.csv, index=False)
    show = df.drop(columns="min_recall").assign(budget=df["budget"].map(lambda b: "—" if pd.isna(b) else f"{b:.0%}"))
    print(markdown(show))
    budgeted = df[df["budget"].notna() & df["engine"].isin([args.engines[0], "—"])]
    oracle = budgeted[budgeted.policy == "oracle"].set_index("budget")["mass_recall"]
    bound = all(budgeted.apply(lambda x: x["mass_recall"] <= oracle[x["budget"]] + 1e-12, axis=1))
    monotone = all(g.sort_values("budget")["mass_recall"].is_monotonic_increasing
                   for _, g in budgeted.groupby("policy"))
    over = budgeted[budgeted.apply(lambda x: x["mass_recall"] > oracle[x["budget"]] + 1e-12, axis=1)]
    exceeded = ", ".join(f"{p} at {b:.0%}" for p, b in zip(over.policy, over.budget, strict=True))
    print(f"\noracle bounds every policy's mean mass recall at each budget: {bound}"
          + ("" if bound else f" (exceeded by: {exceeded})"))
    print(f"more budget never lowers a policy's mean mass recall: {monotone}")


if __name__ == "__main__":
    main()
