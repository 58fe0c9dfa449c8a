"""Time of the Pareto filter (``accelsim.sweep.pareto.nondominated``) on random points.

Usage: python benchmarks/bench_pareto.py [--points N] [--repeat N] [--reference N]
Per number of objectives (2, 3, 4): N uniform random points (a small front, as a sweep's), best of
``--repeat`` runs; then the same on ``--reference`` points against the all-pairs blocked filter this one
replaced (checked equal), and on points that all lie on the front (x + y + z = 1), where any exact
filter compares every pair: the sort-based filter's work grows with points x front size.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from accelsim.sweep.pareto import nondominated

SEED = 0


def all_pairs(v: np.ndarray, block: int = 1024) -> np.ndarray:
    """The filter before: every block of rows against every row."""
    keep = np.ones(len(v), bool)
    for i in range(0, len(v), block):
        blk = v[i : i + block]
        le = (v[None, :, :] <= blk[:, None, :]).all(axis=2)
        lt = (v[None, :, :] < blk[:, None, :]).any(axis=2)
        keep[i : i + block] = ~(le & lt).any(axis=1)
    return keep


def best_of(fn, v: np.ndarray, repeat: int) -> tuple[float, np.ndarray]:
    """Fastest of ``repeat`` calls, and the result."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(v)
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--reference", type=int, default=10_000, help="points for the all-pairs comparison")
    args = ap.parse_args()
    rng = np.random.default_rng(SEED)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for k in (2, 3, 4):
        v = rng.random((args.points, k))
        s, front = best_of(nondominated, v, args.repeat)
        print(f"{k} objectives, {args.points:,} uniform points: {s * 1e3:8.1f} ms, front {front.sum():,}")
    for k in (2, 3):
        v = rng.random((args.reference, k))
        new, a = best_of(nondominated, v, args.repeat)
        old, b = best_of(all_pairs, v, 1)
        assert (a == b).all()
        print(
            f"{k} objectives, {args.reference:,} uniform points: {new * 1e3:8.1f} ms; all pairs {old * 1e3:8.1f} ms "
            f"({old / new:,.0f}x)"
        )
    v = rng.random((args.reference, 3))
    v /= v.sum(axis=1, keepdims=True)  # on the plane x + y + z = 1: every point is on the front
    s, front = best_of(nondominated, v, 1)
    print(f"3 objectives, {args.reference:,} points all on the front: {s * 1e3:8.1f} ms, front {front.sum():,}")


if __name__ == "__main__":
    main()
