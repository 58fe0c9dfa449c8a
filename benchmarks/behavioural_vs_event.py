"""The spatten-behavioural timing (bert.cpp's model) next to the event engine on the same WorkPlans.

Covers: ``api.simulate_behavioural`` and ``api.simulate`` on one hardware config (the ``spatten`` preset).
Scenario: the authors' GPT-2-small decode request trace (32 steps x 12 layers x 12 heads) and a
synthetic BERT-Base-like prefill plan (12 layers x 12 heads, D=64, L=384, the SpAtten policy).
Prints, per workload, the cycles of each model's components and totals and the DRAM bytes each moves
and, for the behavioural model, the total it would give if each layer's DRAM transfer overlapped its
pipeline fill (docs/behavioural.md discusses the differences).

    python benchmarks/behavioural_vs_event.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from accelsim import api
from accelsim.config import load_hardware, load_policy
from accelsim.config.hardware import Hardware
from accelsim.trace.synthetic import synthetic_trace
from accelsim.workplan import WorkPlan

ROOT = Path(__file__).resolve().parents[1]
GPT2_TRACE = ROOT / "workloads" / "spatten" / "summary-gpt2-small-wikitext2-per8.csv"


def plans() -> dict[str, WorkPlan]:
    bert = synthetic_trace(layers=12, heads=12, head_dim=64, prompt_len=384, decode_steps=0, causal=False, seed=384)
    return {"gpt2-small decode (authors' trace)": api.load_workload(GPT2_TRACE),
            "BERT-like prefill L=384 (synthetic)": api.plan(load_policy("spatten"), bert, phases="prefill")}


def compare(name: str, wp: WorkPlan, hw: Hardware) -> pd.DataFrame:
    event, _ = api.simulate(hw, wp, workload=name)
    behav, layers = api.simulate_behavioural(hw, wp, workload=name)
    rows = [("behavioural", k, v) for k, v in behav.busy_by.items()]
    overlapped = (layers[["dram", "fill"]].max(axis=1) + layers["drain"] + layers["topk"]).sum()
    rows += [("behavioural", "total", behav.cycles), ("behavioural", "total if DRAM overlapped fill", overlapped),
             ("behavioural", "DRAM MB", behav.dram_bytes / 1e6)]
    rows += [("event (busy)", k, v) for k, v in event.busy_by.items()]
    rows += [("event", "total", event.cycles), ("event", "DRAM MB", event.dram_bytes / 1e6),
             ("event", "bandwidth bound", event.bandwidth_bound_cycles)]
    return pd.DataFrame(rows, columns=["model", "quantity", "value"]).assign(workload=name)


def main() -> None:
    hw = load_hardware("spatten")
    table = pd.concat([compare(name, wp, hw) for name, wp in plans().items()], ignore_index=True)
    for name, g in table.groupby("workload", sort=False):
        print(f"{name}\n" + g[["model", "quantity", "value"]].to_string(index=False, float_format="{:,.1f}".format))
        print()


if __name__ == "__main__":
    main()
