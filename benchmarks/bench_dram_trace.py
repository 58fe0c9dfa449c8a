"""DRAM trace I/O on the authors' GPT-2-small trace: ``--dram-trace`` writing and ``dram replay`` parsing.

Covers: ``api.simulate(..., dram_trace=...)`` (the event engine's DRAM reads, 2.97 M requests, written
as DRAMsim3 and Ramulator2 traces) and ``accelsim.hw.dram.read_dram_trace`` on both files.
Scenario: each step REPEATS times; prints the best and the median of wall and CPU seconds (the machine
may be shared: CPU seconds move less with its load). Writing is the time ``dram_trace`` adds to the run.

Usage: python benchmarks/bench_dram_trace.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from accelsim import api
from accelsim.config import load_hardware
from accelsim.hw.dram import read_dram_trace

CSV = Path(__file__).resolve().parents[1] / "workloads/spatten/summary-gpt2-small-wikitext2-per8.csv"


def timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """(wall, CPU) seconds of each of ``repeat`` calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return wall, cpu


def show(label: str, wall: list[float], cpu: list[float]) -> None:
    print(
        f"{label:32s} wall min {min(wall):6.2f} s median {statistics.median(wall):6.2f} s; "
        f"CPU min {min(cpu):6.2f} s median {statistics.median(cpu):6.2f} s"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    hw, plan = load_hardware("spatten"), api.load_workload(CSV)
    api.simulate(hw, plan)  # numba and caches warm
    base_wall, base_cpu = timed(lambda: api.simulate(hw, plan), args.repeat)
    with tempfile.TemporaryDirectory() as d:
        for fmt in ("dramsim3", "ramulator2"):
            path = Path(d) / f"gpt2.{fmt}"
            wall, cpu = timed(lambda p=path, f=fmt: api.simulate(hw, plan, dram_trace=(p, f)), args.repeat)
            show(f"--dram-trace {fmt} (write)", [w - min(base_wall) for w in wall], [c - min(base_cpu) for c in cpu])
            requests = len(read_dram_trace(path))
            show(
                f"read_dram_trace {fmt} ({requests / 1e6:.2f} M)",
                *timed(lambda p=path: read_dram_trace(p), args.repeat),
            )


if __name__ == "__main__":
    main()
