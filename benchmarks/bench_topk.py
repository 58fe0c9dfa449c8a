"""Top-k engines: RTL verification at scale, cycle-model calibration, model vs RTL speed.

Covers: ``accelsim.topk`` cycle models against their Amaranth RTL under cocotb + Icarus.
Scenario: (1) play random + edge vectors through each engine's RTL and count mismatches against
its functional model; (2) run the calibration grid (n in {64, 256, 1024}, k in {n/8, n/2}) and
compare RTL cycles with the cycle model; (3) time the cycle model and the RTL simulation on the
same jobs; (4) sweep quick-select parallelism on the GPT-2-small SpAtten trace.

Run: ``python benchmarks/bench_topk.py --verify 10000 --grid 100 --json out.json``

The issue's full calibration grid (1000 vectors per case, per-case designs, resumable) is
``benchmarks/topk_calibration.py``; ``--grid`` here is a quick look at one design plus the speeds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np

from accelsim.rtl.topk import harness
from accelsim.topk import TopKParams, engine_params, get_engine

RANDOM_SEED = 2021  # SpAtten's year; any fixed seed
ENGINES = ("quickselect", "streaming", "statistical")
VERIFY_PARAMS = TopKParams(parallelism=4, index_width=4)  # n <= 16: fast Icarus runs (streaming: 8 slots)
GRID_PARAMS = TopKParams(parallelism=4, index_width=10)  # n up to 1024 for the calibration grid
TRACE = Path("/work/shared/reference/spatten-traces/summary-gpt2-small-wikitext2-per8.csv")
SWEEP_P = (1, 2, 4, 8, 16, 32)  # SpAtten Fig. 20 parallelism axis


def verify_many(engine: str, count: int, workdir: Path) -> dict:
    """``count`` random vectors plus the edge cases, at ``VERIFY_PARAMS``."""
    rng = np.random.default_rng(RANDOM_SEED)
    own = {"max_k": 8} if engine == "streaming" else {}
    params = engine_params(engine, **VERIFY_PARAMS.as_dict(), **own)
    vec = harness.concat(harness.edge_vectors(params, rng), harness.random_vectors(params, count, rng))
    return harness.verify(engine, params, vec, workdir, seed=RANDOM_SEED).as_dict()


def calibrate(engine: str, per_case: int, workdir: Path) -> dict:
    """Calibration grid at ``GRID_PARAMS``; also times the model on the same jobs."""
    own = {"max_k": 512} if engine == "streaming" else {}
    params = engine_params(engine, **GRID_PARAMS.as_dict(), **own)
    vec = harness.grid_vectors(params, per_case, np.random.default_rng(RANDOM_SEED))
    got, rtl_cycles, rtl_s = harness.run_rtl(engine, params, vec, workdir, RANDOM_SEED)
    start = time.perf_counter()
    exp = harness.expected(engine, params, vec)
    model_s = time.perf_counter() - start
    out = {"engine": engine, "params": params.__dict__, "vectors": len(vec),
           "mismatches": int(sum(not np.array_equal(a, b)
                                 for a, b in zip(got, exp.items, strict=True))),
           "cases": []}
    for n in np.unique(vec.n):
        for k in np.unique(vec.k[vec.n == n]):
            rows = (vec.n == n) & (vec.k == k)
            rc, mc = rtl_cycles[rows].astype(float), exp.cycles[rows].astype(float)
            err = np.abs(mc - rc) / rc
            out["cases"].append({"n": int(n), "k": int(k), "rtl_cycles_mean": rc.mean(),
                                 "model_cycles_mean": mc.mean(), "cycle_error_mean": err.mean(),
                                 "cycle_error_max": err.max()})
    total = float(rtl_cycles.sum())
    out["rtl_cycles_per_s"] = total / rtl_s
    out["model_cycles_per_s"] = total / model_s  # functional model + cycle model, batched
    out["speedup"] = out["model_cycles_per_s"] / out["rtl_cycles_per_s"]
    return out


def trace_jobs() -> tuple[np.ndarray, np.ndarray]:
    """Top-k jobs of the GPT-2-small trace: local V (n keys -> k values) and token pruning."""
    import pandas as pd

    df = pd.read_csv(TRACE, comment=None).dropna(subset=["key_fetch_num"])
    df = df[pd.to_numeric(df["key_fetch_num"], errors="coerce").notna()]
    n_v = df["key_fetch_num"].astype(int).to_numpy()
    k_v = df["value_fetch_num"].astype(int).to_numpy()
    tok = df[df["if_topk"].astype(str) == "True"]
    n_t = tok["key_fetch_num"].astype(int).to_numpy()
    k_t = tok["topk"].astype(int).to_numpy()
    return np.concatenate([n_v, n_t]), np.concatenate([k_v, k_t])


def sweep_parallelism() -> dict:
    """Quick-select top-k cycles on the trace's jobs for each parallelism."""
    n, k = trace_jobs()
    k = np.minimum(k, n)
    passes = get_engine("quickselect").passes_for_shape(n, k, np.random.default_rng(RANDOM_SEED))
    rows = []
    for p in SWEEP_P:
        eng = get_engine("quickselect", TopKParams(parallelism=p))
        count = np.array([len(q) for q in passes])
        start = np.concatenate([[0], np.cumsum(count)[:-1]])
        compute = eng.cycles(n, k, np.concatenate(passes), start, count)
        rows.append({"parallelism": p, "jobs": len(n), "topk_cycles": int(compute.sum()),
                     "with_input_cycles": int((compute + eng.input_cycles(n)).sum())})
    for a, b in itertools.pairwise(rows):
        b["gain_vs_half"] = a["topk_cycles"] / b["topk_cycles"]
    return {"trace": TRACE.name, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--verify", type=int, default=10_000, help="random vectors per engine")
    ap.add_argument("--grid", type=int, default=1000, help="calibration vectors per (n, k)")
    ap.add_argument("--engines", nargs="+", default=list(ENGINES))
    ap.add_argument("--workdir", type=Path, default=Path("sim_build/bench_topk"))
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()
    workdir = args.workdir.resolve()
    result: dict = {"sweep": sweep_parallelism(), "verify": {}, "calibration": {}}
    print(json.dumps(result["sweep"], indent=1))
    for engine in args.engines:
        if args.grid:
            result["calibration"][engine] = calibrate(engine, args.grid, workdir)
            print(json.dumps(result["calibration"][engine], indent=1, default=float))
        if args.verify:
            result["verify"][engine] = verify_many(engine, args.verify, workdir)
            print(json.dumps(result["verify"][engine], indent=1))
        if args.json:
            args.json.write_text(json.dumps(result, indent=1, default=float) + "\n")


if __name__ == "__main__":
    main()
