"""What the cost model adds to a fast-path sweep point: ``api.simulate_fast`` per point, and the
cost model's own share of it (``unit_costs`` for a new design point plus ``costs``).

Usage: python benchmarks/bench_cost.py [--points 300]
Every point is a distinct design, varying five fields as a sweep does; each repetition starts with
every cost cache empty (the per-design one and the per-unit and per-macro ones beneath it), so it
pays what a fresh sweep over these designs pays. Each figure is the median of 5 repetitions.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from pathlib import Path

from accelsim import api
from accelsim.config import load_hardware
from accelsim.hw.cost import units
from accelsim.hw.cost.model import costs
from accelsim.sim.fast import FastModel, warm

CACHES = (units.unit_costs, units.mul_array, units.query_fifo, units.softmax, units.topk, units.requant_fifo,
          units.kv_buffer, units.fetcher_fifos, units.fetcher_crossbars, units._macro)
CSV = Path(__file__).resolve().parents[1] / "workloads/spatten/summary-gpt2-small-wikitext2-per8.csv"


def designs(n: int) -> list:
    grid = itertools.product([128, 256, 512, 1024], [2, 4, 8, 16], [4, 8, 16, 32], [196.0, 294.0, 392.0, 588.0],
                             [8, 16, 32, 64])
    return [load_hardware("spatten", {"qk": {"multipliers": q}, "dram": {"channels": c},
                                      "topk": {"parallelism": p}, "sram": {"key_kb": kb},
                                      "fetcher": {"fifo_depth": d}})
            for (q, c, p, kb, d) in itertools.islice(grid, n)]


def per_point(fn, hws: list) -> float:
    """Median over 5 repetitions of the seconds per point of ``fn`` over ``hws``."""
    times = []
    for _ in range(5):
        for f in CACHES:
            f.cache_clear()
        t0 = time.perf_counter()
        for hw in hws:
            fn(hw)
        times.append((time.perf_counter() - t0) / len(hws))
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=300)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    warm()
    model = FastModel(api.load_workload(CSV))
    hws = designs(args.points)
    counts = model.op_counts(None)
    t_point = per_point(lambda hw: api.simulate_fast(hw, model), hws)
    t_cost = per_point(lambda hw: costs(hw, counts, 8.2e7, 4.6e5), hws)
    print(f"{len(hws)} designs: simulate_fast {t_point * 1e3:.3f} ms/point, of which the cost model "
          f"{t_cost * 1e3:.3f} ms ({100 * t_cost / t_point:.1f}%)")


if __name__ == "__main__":
    main()
