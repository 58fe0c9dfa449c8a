"""Throughput of the bank-aware DRAM model (requests per second on one core).

Covers: ``DramModel.simulate`` on long streams, both issue modes, every preset.
Scenario: REQUESTS requests arrive at cycle 0 — a sequential 32-byte stream and uniform random
32-byte reads over 1 GiB. The first call in a process loads (or, on a cold numba cache,
compiles) the controller; it is timed apart, and the throughput is the best of REPEATS runs of a
fresh model, so it measures the steady state.

Usage: ``python benchmarks/bench_dram.py [REQUESTS] [--preset P ...] [--stream sequential|random]``
(default: every preset, both streams).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from accelsim.hw.dram import DramModel, standards

SEED = 7  # fixed seed of the random stream
REQUESTS = 1_000_000  # default requests per measurement
REPEATS = 3  # runs per measurement; the best is reported


def first_call_seconds() -> float:
    """Seconds of the first (compiling or cache-loading) call in this process."""
    t0 = time.perf_counter()
    DramModel("hbm2-spatten").simulate(np.arange(64, dtype=np.int64) * 32, np.zeros(64))
    return time.perf_counter() - t0


def measure(preset: str, addr: np.ndarray, issue: str) -> float:
    """Requests per second: the best of REPEATS fresh model runs over ``addr``."""
    best = float("inf")
    for _ in range(REPEATS):
        model = DramModel(preset, issue=issue)
        t0 = time.perf_counter()
        model.simulate(addr, np.zeros(len(addr), dtype=np.int64))
        best = min(best, time.perf_counter() - t0)
    return len(addr) / best


def main(n: int = REQUESTS, presets: list[str] | None = None, stream: str | None = None) -> None:
    print(f"first call (numba compile or cache load): {first_call_seconds():.2f} s")
    rng = np.random.default_rng(SEED)
    streams = {
        "sequential": np.arange(n, dtype=np.int64) * 32,
        "random": rng.integers(0, (1 << 30) // 32, size=n, dtype=np.int64) * 32,
    }
    for preset in presets or standards():
        for name, addr in streams.items():
            if stream is not None and name != stream:
                continue
            for issue in ("per-channel", "in-order"):
                rate = measure(preset, addr, issue)
                print(f"{preset:14s} {name:10s} {issue:11s} {rate / 1e6:6.2f} M requests/s")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="DRAM model throughput")
    ap.add_argument("requests", nargs="?", type=int, default=REQUESTS)
    ap.add_argument("--preset", action="append", choices=standards(), help="repeatable; default: all")
    ap.add_argument("--stream", choices=("sequential", "random"))
    args = ap.parse_args()
    main(args.requests, args.preset, args.stream)
