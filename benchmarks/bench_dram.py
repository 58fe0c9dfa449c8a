"""Throughput of the bank-aware DRAM model (requests per second on one core).

Covers: ``DramModel.simulate`` on long streams, both issue modes, HBM2 and DDR4.
Scenario: 200k requests arrive at cycle 0 — a sequential 32-byte stream and uniform random
32-byte reads over 1 GiB — and the model runs them chunk by chunk.

Usage: ``python benchmarks/bench_dram.py [REQUESTS]``
"""

from __future__ import annotations

import sys
import time

import numpy as np

from accelsim.hw.dram import DramModel

SEED = 7  # fixed seed of the random stream
REQUESTS = 200_000  # default requests per measurement


def measure(preset: str, addr: np.ndarray, issue: str) -> float:
    """Requests per second of one fresh model run over ``addr``."""
    model = DramModel(preset, issue=issue)
    t0 = time.perf_counter()
    model.simulate(addr, np.zeros(len(addr)))
    return len(addr) / (time.perf_counter() - t0)


def main(n: int = REQUESTS) -> None:
    rng = np.random.default_rng(SEED)
    streams = {
        "sequential": np.arange(n, dtype=np.int64) * 32,
        "random": rng.integers(0, (1 << 30) // 32, size=n, dtype=np.int64) * 32,
    }
    for preset in ("hbm2-spatten", "ddr4-2400"):
        for name, addr in streams.items():
            for issue in ("per-channel", "in-order"):
                rate = measure(preset, addr, issue)
                print(f"{preset:14s} {name:10s} {issue:11s} {rate / 1e3:8.1f} k requests/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else REQUESTS)
