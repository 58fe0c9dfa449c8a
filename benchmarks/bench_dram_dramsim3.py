"""Whole-process time of ``accelsim dram replay`` against DRAMsim3's ``dramsim3main`` on one trace.

Covers: start-up, trace parsing, address decoding and the controller loop of both tools, as a user
runs them (README "Speed against DRAMsim3"; docs/dram.md "Agreement with DRAMsim3" builds DRAMsim3).
Scenario: ``accelsim dram replay TRACE --dram INI --json`` once to learn the cycles the trace takes
and to warm the numba cache; then REPEAT rounds, each running DRAMsim3 (``dramsim3main INI -c
CYCLES -t TRACE``, CYCLES: ours plus 1 %, so that it issues every request) and ours in turn;
prints min and median of wall and CPU (user + system) seconds and their ratios.

Usage: python benchmarks/bench_dram_dramsim3.py DRAMSIM3MAIN INI TRACE [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "accelsim"
ACCELSIM = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "accelsim.cli"]


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of ``cmd`` (it must succeed), and its standard output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dramsim3main", type=Path)
    ap.add_argument("ini", type=Path)
    ap.add_argument("trace", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ours = [*ACCELSIM, "dram", "replay", str(args.trace), "--dram", str(args.ini), "--json"]
    stats = json.loads(timed(ours)[2])
    cycles = int(stats["cycles"] * 1.01)
    print(f"{stats['requests']:,} requests, {stats['cycles']:,} cycles (ours); DRAMsim3 runs -c {cycles}")
    times: dict[str, list[tuple[float, float]]] = {"dramsim3main": [], "accelsim dram replay": []}
    with tempfile.TemporaryDirectory() as out:
        theirs = [str(args.dramsim3main), str(args.ini), "-c", str(cycles), "-t", str(args.trace), "-o", out]
        for _ in range(args.repeat):
            times["dramsim3main"].append(timed(theirs)[:2])
            times["accelsim dram replay"].append(timed(ours)[:2])
    for name, ts in times.items():
        w, c = [t[0] for t in ts], [t[1] for t in ts]
        print(
            f"{name:22s} wall min {min(w):7.2f} s median {statistics.median(w):7.2f} s; "
            f"CPU min {min(c):7.2f} s median {statistics.median(c):7.2f} s"
        )
    for name, pick in (("min", min), ("median", statistics.median)):
        (dw, dc), (aw, ac) = ([pick(t[k] for t in ts) for k in (0, 1)] for ts in times.values())
        print(f"DRAMsim3 / accelsim: wall {dw / aw:.1f}x, CPU {dc / ac:.1f}x ({name} over runs)")


if __name__ == "__main__":
    main()
