"""Generate the DRAM cross-check traces (DRAMsim3 trace format) used in ``docs/dram.md``.

Covers: sequential streaming, uniform random reads and SpAtten-style pruned token rows.
Scenario: every trace arrives at cycle 0, so the issue mode (``in-order`` one request per cycle
as ``dramsim3main -t`` does, or ``per-channel``) sets the request rate. Seeds are fixed, so the
same traces come out on every machine; ``tests/hw/test_dram_dramsim3.py`` rebuilds them in memory.

Usage: ``python benchmarks/dram_traces.py OUTDIR``
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from accelsim.hw.dram.trace import write_dram_trace

SEED = 2021  # fixed seed of every random trace
STREAM_REQUESTS = 16384  # requests per sequential stream
RANDOM_REQUESTS = 8192  # requests of the uniform random trace
RANDOM_SPAN = 1 << 30  # 1 GiB
TOKEN_ROWS = 1024  # token rows per head
KEEP = (0.1, 0.2, 0.5, 1.0)  # fractions of token rows kept by pruning


def sequential(size: int, n: int = STREAM_REQUESTS) -> np.ndarray:
    """``n`` back-to-back ``size``-byte reads from address 0."""
    return np.arange(n, dtype=np.int64) * size


def uniform_random(n: int = RANDOM_REQUESTS, span: int = RANDOM_SPAN) -> np.ndarray:
    """``n`` 32-byte-aligned reads drawn uniformly over ``span`` bytes."""
    rng = np.random.default_rng(SEED)
    return rng.integers(0, span // 32, size=n, dtype=np.int64) * 32


def kept_rows(keep: float, rows: int = TOKEN_ROWS, seed: int = SEED) -> np.ndarray:
    """A seeded random ``keep`` fraction of ``rows`` token rows, in address order."""
    rng = np.random.default_rng(seed)
    k = max(1, round(keep * rows))
    return np.sort(rng.choice(rows, size=k, replace=False)).astype(np.int64)


def pruned_rows(keep: float, row_bytes: int = 64) -> np.ndarray:
    """One read per kept ``row_bytes`` row of one head's contiguous token rows."""
    return kept_rows(keep) * row_bytes


def pruned_two_heads(keep: float, row_bytes: int = 96, access: int = 32) -> np.ndarray:
    """Two heads' kept 96-byte rows, interleaved token by token, in 32-byte reads.

    Head ``h`` stores its rows contiguously from ``h * TOKEN_ROWS * row_bytes``; each head keeps
    its own seeded rows; the fetcher alternates heads, reading each row as ``row_bytes / access``
    consecutive reads.
    """
    heads = [kept_rows(keep, seed=SEED + h) * row_bytes + h * TOKEN_ROWS * row_bytes
             for h in range(2)]
    k = len(heads[0])
    starts = np.stack(heads, axis=1).reshape(2 * k)
    offsets = np.arange(0, row_bytes, access, dtype=np.int64)
    return (starts[:, None] + offsets[None, :]).reshape(-1)


def cases() -> dict[str, np.ndarray]:
    """Every cross-check trace by name (addresses; all arrive at cycle 0)."""
    out = {"seq32": sequential(32), "seq64": sequential(64), "rand32": uniform_random()}
    for keep in KEEP:
        out[f"pruned64_{round(keep * 100)}"] = pruned_rows(keep)
    for keep in (0.5, 1.0):
        out[f"pruned96x2_{round(keep * 100)}"] = pruned_two_heads(keep)
    return out


def main(outdir: str) -> None:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    for name, addrs in cases().items():
        write_dram_trace(out / f"{name}.trace", addrs, np.zeros_like(addrs))


if __name__ == "__main__":
    main(sys.argv[1])
