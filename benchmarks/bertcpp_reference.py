"""accelsim's spatten-behavioural timing against the SpAtten authors' own bert.cpp binary.

Covers: ``accelsim.sim.behavioural`` (DRAM, fill, drain exactly; top-k cycles per seed and in
distribution) on bert.cpp input.csv profiles exported from WorkPlans.
Scenario: synthetic BERT-like prefill traces (``accelsim.trace.synthetic``, D=64, several L) planned
with the SpAtten policy (key/value widths 4/6/8/12, with top-k) and the dense policy (12 bits, no
top-k), and the authors' GPT-2-small decode trace, each run through the binary at several
(channels, multipliers, sizeZE) settings.

bert.cpp prints only each layer's total, so the components come from four runs of the unpatched
binary on variants of the same profiles, each removing one component:
  drain      = run(widths 0, L 0, no top-k)     (0-bit rows make no DRAM transactions, L=0 no fill)
  fill       = run(widths 0, no top-k) - drain
  dram       = run(no top-k) - fill - drain
  topk       = run(profiles) - dram - fill - drain
Top-k per seed: bert.cpp seeds the i-th top-k head of a layer with i, so a file whose layer j holds
j+1 copies of one profile gives layer totals whose differences are the cycles of seeds 0, 1, 2, ...

Build the binary (docs/behavioural.md) and run:
    python benchmarks/bertcpp_reference.py --bert /tmp/behav_bert/bert [--golden tests/sim/data/bertcpp]
``--golden`` rewrites the golden files the test suite checks (tests/sim/test_behavioural.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from accelsim import api
from accelsim.config import load_policy
from accelsim.sim.behavioural import BREAKDOWN, BehaviouralParams, layer_breakdown, quickselect_cycles
from accelsim.sim.bertcpp_profiles import profiles_from_plan, read_input_csv, write_input_csv
from accelsim.trace.synthetic import synthetic_trace

ROOT = Path(__file__).resolve().parents[1]
MIRROR_COMMIT = "a0f1388630590668e09456c4680211c513592e3f"  # mit-han-lab/spatten HEAD the binary is built from
GPT2_TRACE = ROOT / "workloads" / "spatten" / "summary-gpt2-small-wikitext2-per8.csv"
# name: (prompt length L, layers, policy preset, policy overrides); 12 heads of D=64 (BERT-Base)
SYNTHETIC = {
    "bert-L128-k6v6": (128, 12, "spatten", {}),
    "bert-L384-k4v8": (384, 12, "spatten", {"quant": {"msb_bits": 4, "value_bits": 8}}),
    "bert-L200-k8v4": (200, 8, "spatten", {"quant": {"msb_bits": 8, "value_bits": 4}}),
    "bert-L96-k12v12": (96, 8, "spatten", {"quant": {"enabled": False}}),
    "bert-L64-dense12": (64, 6, "dense", {}),
}
SETTINGS = [(16, 512, 4), (16, 512, 16), (2, 64, 16), (8, 256, 8)]  # (channels, multipliers, sizeZE)
TOPK_SHAPES = [(64, 13), (128, 115), (384, 300), (993, 921), (1000, 100)]  # (fetch, k), D=64
SEEDS = 60


def synthetic_profiles(name: str) -> pd.DataFrame:
    length, layers, policy, over = SYNTHETIC[name]
    trace = synthetic_trace(layers=layers, heads=12, head_dim=64, prompt_len=length, decode_steps=0,
                            causal=False, seed=length)
    return profiles_from_plan(api.plan(load_policy(policy, over), trace, phases="prefill"))


def gpt2_profiles() -> pd.DataFrame:
    return profiles_from_plan(api.load_workload(GPT2_TRACE))


def run_binary(bert: Path, profiles: pd.DataFrame, setting: tuple[int, int, int]) -> np.ndarray:
    """Per-layer totals printed by bert.cpp on ``profiles`` (it reads input.csv from its directory)."""
    with tempfile.TemporaryDirectory() as tmp:
        write_input_csv(profiles, Path(tmp) / "input.csv")
        out = subprocess.run([str(bert.resolve()), *map(str, setting)], cwd=tmp, capture_output=True, text=True,
                             check=True).stdout
    rows = [line.split("\t") for line in out.splitlines() if "\t" in line]
    totals = np.array([int(c) for label, c in rows if label != "SUM"], dtype=np.int64)
    if totals.sum() != int(rows[-1][1]):
        raise RuntimeError("bert.cpp's SUM differs from its layer totals")
    return totals


def binary_components(bert: Path, profiles: pd.DataFrame, setting: tuple[int, int, int]) -> pd.DataFrame:
    """Per-layer dram, fill, drain, topk of the unpatched binary (the four runs in the module docstring)."""
    no_topk = profiles.assign(topk=False)
    no_dram = no_topk.assign(key_bits=0, value_bits=0)
    drain = run_binary(bert, no_dram.assign(length=0), setting)
    fill_drain = run_binary(bert, no_dram, setting)
    no_topk_total = run_binary(bert, no_topk, setting)
    total = run_binary(bert, profiles, setting)
    return pd.DataFrame({"dram": no_topk_total - fill_drain, "fill": fill_drain - drain, "drain": drain,
                         "topk": total - no_topk_total, "cycles": total})


def binary_seed_cycles(bert: Path, fetch: int, k: int, setting: tuple[int, int, int], seeds: int) -> np.ndarray:
    """bert.cpp's top-k cycles for seeds 0 .. seeds-1 of one (fetch, k) profile (layer j: j+1 copies)."""
    layer = np.repeat(np.arange(seeds), np.arange(1, seeds + 1))
    profiles = pd.DataFrame({"layer_id": layer, "head_id": 0, "d": 64, "length": 0, "fetch": fetch, "key_bits": 0,
                             "value_bits": 0, "topk": True, "topk_k": k, "step": 0, "layer": layer})
    fixed = 103 + -(-fetch // (setting[1] // 64))  # drain of each layer (no fill, no DRAM)
    cumulative = run_binary(bert, profiles, setting) - fixed
    return np.diff(np.r_[0, cumulative])


def compare_layers(name: str, profiles: pd.DataFrame, bert: Path) -> list[dict]:
    rows = []
    for setting in SETTINGS:
        ref = binary_components(bert, profiles, setting)
        ours = layer_breakdown(profiles, BehaviouralParams(*setting))
        exact = {c: bool((ours[c].to_numpy() == ref[c].to_numpy()).all()) for c in ("dram", "fill", "drain")}
        rows.append({"workload": name, "setting": "/".join(map(str, setting)), "layers": len(ref), **exact,
                     "topk_layers": int((ref["topk"] > 0).sum()),
                     "topk_exact": float((ours["topk"].to_numpy() == ref["topk"].to_numpy()).mean()),
                     "topk_ref": int(ref["topk"].sum()), "topk_ours": int(ours["topk"].sum()),
                     "total_ref": int(ref["cycles"].sum()), "total_ours": int(ours["cycles"].sum())})
        rows[-1]["_ref"] = ref.assign(workload=name, channels=setting[0], multipliers=setting[1],
                                      size_ze=setting[2], layer=np.arange(len(ref)))
    return rows


def compare_seeds(bert: Path) -> pd.DataFrame:
    rows = []
    for fetch, k in TOPK_SHAPES:
        for setting in SETTINGS[:2]:
            par = setting[1] // 64
            ref = binary_seed_cycles(bert, fetch, k, setting, SEEDS)
            ours = np.array([quickselect_cycles(fetch, k, par, setting[2], s) for s in range(SEEDS)])
            rows.append(pd.DataFrame({"fetch": fetch, "k": k, "parallelism": par, "size_ze": setting[2],
                                      "seed": np.arange(SEEDS), "cycles": ref, "ours": ours}))
    return pd.concat(rows, ignore_index=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bert", type=Path, required=True, help="bert.cpp binary built from the mirror")
    ap.add_argument("--golden", type=Path, help="write golden files (inputs and the binary's outputs) here")
    args = ap.parse_args()
    workloads = {name: synthetic_profiles(name) for name in SYNTHETIC}
    workloads["gpt2-small-decode"] = gpt2_profiles()
    rows = [r for name, prof in workloads.items() for r in compare_layers(name, prof, args.bert)]
    table = pd.DataFrame([{k: v for k, v in r.items() if k != "_ref"} for r in rows])
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))
    seeds = compare_seeds(args.bert)
    dist = seeds.groupby(["fetch", "k", "parallelism", "size_ze"]).agg(
        mean_ref=("cycles", "mean"), mean_ours=("ours", "mean"), sd_ref=("cycles", "std"), sd_ours=("ours", "std"),
        exact=("cycles", lambda c: float((c == seeds.loc[c.index, "ours"]).mean())))
    print(dist.round(3).to_string())
    d = dist.sum()
    print(f"all top-k seeds: mean ref {seeds['cycles'].mean():.1f} ours {seeds['ours'].mean():.1f}, "
          f"per-shape sd ratio {d['sd_ours'] / d['sd_ref']:.3f}, exact {(seeds['cycles'] == seeds['ours']).mean():.1%}")
    ok = bool(table[["dram", "fill", "drain"]].all().all())
    if args.golden is not None:
        args.golden.mkdir(parents=True, exist_ok=True)
        for name in SYNTHETIC:
            write_input_csv(workloads[name], args.golden / f"{name}.csv")
            if not read_input_csv(args.golden / f"{name}.csv").equals(workloads[name]):
                raise RuntimeError(f"{name}: input.csv does not read back to the same profiles")
        ref = pd.concat([r["_ref"] for r in rows if r["workload"] in SYNTHETIC], ignore_index=True)
        ref[["workload", "channels", "multipliers", "size_ze", "layer", *BREAKDOWN, "cycles"]].to_csv(
            args.golden / "reference_layers.csv", index=False)
        seeds.drop(columns="ours").to_csv(args.golden / "reference_topk_seeds.csv", index=False)
    print("DRAM, fill and drain agree exactly on every layer" if ok else "MISMATCH in DRAM, fill or drain")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
