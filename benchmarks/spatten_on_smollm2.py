"""SpAtten on the shipped SmolLM2-135M decode trace, with the paper's linear schedule and with the
schedule of the authors' GPT-2-small trace mapped onto 30 layers; prints the tables of
docs/smollm2.md.

Usage: python benchmarks/spatten_on_smollm2.py [TRACE]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from policy_table import markdown  # this folder is on sys.path when run as a script

from accelsim import api
from accelsim.config import load_hardware, load_policy
from accelsim.policies.spatten import DensePolicy
from accelsim.trace.spatten_csv import read_spatten_csv

ROOT = Path(__file__).resolve().parents[1]
TRACE = ROOT / "workloads/smollm2-pydoc-416-32.safetensors"
GPT2 = ROOT / "workloads/spatten/summary-gpt2-small-wikitext2-per8.csv"


def gpt2_schedule(layers: int) -> list[float]:
    """Per-layer key keep ratio of the authors' GPT-2-small trace (decode steps after the first),
    stretched over ``layers`` layers."""
    r = read_spatten_csv(GPT2).requests
    r = r[r["step"] > 0]
    ratio = (r["keys"] / r["context"]).groupby(r["layer"]).mean().to_numpy()
    return [float(ratio[min(len(ratio) - 1, int(i * len(ratio) / layers))]) for i in range(layers)]


def summary(name: str, plan, dense_bytes: float, hw) -> dict:
    res, _ = api.simulate(hw, plan)
    r = plan.requests
    return {"schedule": name, "keys kept": r["keys"].sum() / r["context"][r["keys"] > 0].sum(),
            "values kept": r["values"].sum() / r["context"][r["values"] > 0].sum(),
            "LSB refetch": r["lsb_queries"].sum() / r["queries"].sum(),
            "DRAM MB": res.dram_bytes / 1e6, "DRAM reduction": dense_bytes / res.dram_bytes,
            "cycles k": res.cycles / 1e3, "mass recall": res.quality.mass_recall,
            "output error": res.quality.out_err}


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else TRACE
    trace = api.load_workload(path)
    layers = trace.meta.layers
    hw = load_hardware("spatten")
    dense = api.plan(DensePolicy(), trace, phases="decode")
    dense_bytes = sum(dense.dram_bytes().values())
    sched = gpt2_schedule(layers)
    plans = {
        "paper linear (15% unpruned, 0.9 -> 0.1)": api.plan(load_policy("spatten"), trace, phases="decode"),
        "GPT-2 trace's, stretched": api.plan(load_policy("spatten", {"tokens": {"keep": sched}}), trace,
                                             phases="decode"),
        "GPT-2 trace's, heads unpruned": api.plan(
            load_policy("spatten", {"tokens": {"keep": sched}, "heads": {"enabled": False}}), trace,
            phases="decode"),
    }
    rows = [summary("dense 12-bit", dense, dense_bytes, load_hardware("dense"))]
    rows += [summary(k, v, dense_bytes, hw) for k, v in plans.items()]
    print(markdown(pd.DataFrame(rows)))
    print()
    r = plans["GPT-2 trace's, stretched"].requests
    per = r.groupby("layer").agg(keys=("keys", lambda s: s[s > 0].mean()), context=("context", "mean"),
                                 heads=("head", "nunique"), recall=("mass_recall", "mean"),
                                 err=("out_err", "mean"))
    per["keep ratio"] = np.round(per["keys"] / per["context"], 3)
    per["schedule"] = np.round(sched, 3)
    print(markdown(per[["schedule", "keep ratio", "heads", "recall", "err"]].reset_index()))


if __name__ == "__main__":
    main()
