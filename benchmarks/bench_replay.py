"""Wall time of the event-mode replay of the authors' GPT-2-small SpAtten trace (4608 requests).

Usage: python benchmarks/bench_replay.py [--repeat N]
Prints load (CSV -> WorkPlan), simulate (phase 2) and total per run, on one core, excluding
interpreter start-up and imports.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from accelsim import api
from accelsim.config import load_hardware

CSV = Path(__file__).resolve().parents[1] / "workloads/spatten/summary-gpt2-small-wikitext2-per8.csv"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    hw = load_hardware("spatten")
    loads, sims = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        plan = api.load_workload(CSV)
        t1 = time.perf_counter()
        result, _ = api.simulate(hw, plan)
        t2 = time.perf_counter()
        loads.append(t1 - t0)
        sims.append(t2 - t1)
    tot = [a + b for a, b in zip(loads, sims, strict=True)]
    print(f"requests {result.requests}, cycles {result.cycles:,.0f}")
    print(f"load     median {statistics.median(loads):.3f} s")
    print(f"simulate median {statistics.median(sims):.3f} s")
    print(f"total    median {statistics.median(tot):.3f} s  (min {min(tot):.3f} s)")


if __name__ == "__main__":
    main()
