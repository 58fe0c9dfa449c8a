"""Sweep throughput: hardware-only axes over the authors' GPT-2-small trace (4608 requests), WorkPlan
reused, fast timing path.

Usage: python benchmarks/bench_sweep.py [--workers 2] [--skip-dask]
Prints, for local processes and for a Dask LocalCluster of the same number of workers:
- end to end: points / wall time of ``run_sweep``, including worker start-up, phase 1 in each
  worker, numba's cache load and writing the Parquet store;
- steady state: points / time between the first and the last completed chunk, and the driver's CPU
  microseconds per point in that time (taken from the workers' cores);
- the driver's CPU seconds (resolving points, adding their config columns, writing the store: the
  part a busy machine's load does not inflate much), and the results' Parquet bytes and columns
  (every row holds the whole resolved config);
- CPU microseconds per point of the driver and of the workers (their processes' CPU time, read once
  they have exited), and the rate those allow on ``--workers`` otherwise idle cores: on a loaded
  machine the wall-clock rates fall with the load, these move far less.
Also the single-core rates of ``api.simulate_fast`` (a point per call) and ``api.simulate_fast_many`` (the
same points in one call), for reference.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import yaml

from accelsim import api
from accelsim.config import load_hardware
from accelsim.sim.fast import FastModel, warm
from accelsim.sweep import get_executor, run_sweep

CSV = Path(__file__).resolve().parents[1] / "workloads/spatten/summary-gpt2-small-wikitext2-per8.csv"


def sweep_file(tmp: Path) -> Path:
    """5 x 5 x 6 x 5 x 4 = 3000 hardware points around SpAtten (every one valid)."""
    spec = {"version": 1, "name": "bench", "base": {"hw": "spatten", "policy": "spatten", "workload": str(CSV)},
            "axes": {"hw.qk.multipliers": [64, 128, 256, 512, 1024], "hw.pv.multipliers": [64, 128, 256, 512, 1024],
                     "hw.dram.channels": [1, 2, 4, 8, 16, 32], "hw.topk.parallelism": [4, 8, 16, 32, 64],
                     "hw.softmax.parallelism": [2, 4, 8, 16]}}
    path = tmp / "bench.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def children_cpu() -> float:
    """CPU seconds of this process's children that have exited."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(path: Path, out: Path, make) -> tuple[int, float, float, float, float, float, int, int]:
    stamps: list[tuple[float, float, int]] = []
    t0, c0, w0 = time.perf_counter(), time.process_time(), children_cpu()
    with make() as ex:
        res = run_sweep(path, out, executor=ex,
                        progress=lambda n, total: stamps.append((time.perf_counter(), time.process_time(), n)))
    wall, cpu, workers = time.perf_counter() - t0, time.process_time() - c0, children_cpu() - w0
    done = [s for s in stamps if s[2] > 0]
    (t1, c1, n1), (t2, c2, n2) = done[0], done[-1]
    size = sum(p.stat().st_size for p in (out / "results").glob("*.parquet"))
    steady, steady_cpu = (n2 - n1) / (t2 - t1), (c2 - c1) / (n2 - n1)
    return res.ran, res.ran / wall, steady, steady_cpu, cpu, workers, size, len(res.table.columns)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    warm()
    model = FastModel(api.load_workload(CSV))
    hws = [load_hardware("spatten", {"topk": {"parallelism": p}, "dram": {"channels": c}})
           for p in (4, 8, 16, 32) for c in (2, 4, 8, 16, 32)]
    api.simulate_fast(hws[0], model)
    t, c = time.perf_counter(), time.process_time()
    for hw in hws:
        api.simulate_fast(hw, model)
    print(f"api.simulate_fast, one core: {len(hws) / (time.perf_counter() - t):,.0f} points/s "
          f"({len(hws) / (time.process_time() - c):,.0f} per CPU second)")
    t, c = time.perf_counter(), time.process_time()
    api.simulate_fast_many(hws, model)
    print(f"api.simulate_fast_many, one core: {len(hws) / (time.perf_counter() - t):,.0f} points/s "
          f"({len(hws) / (time.process_time() - c):,.0f} per CPU second)")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        path = sweep_file(tmp)
        runs = [("local processes", lambda: get_executor("local", jobs=args.workers))]
        if not args.skip_dask:
            runs.append(("Dask LocalCluster", lambda: get_executor("dask", workers=args.workers)))
        for i, (label, make) in enumerate(runs):
            n, e2e, steady, steady_cpu, cpu, workers, size, cols = timed(path, tmp / f"out{i}", make)
            print(f"{label}, {args.workers} workers: {n} points, end to end {e2e:,.0f} points/s, "
                  f"steady state {steady:,.0f} points/s (driver {steady_cpu * 1e6:,.0f} CPU us/point meanwhile); "
                  f"driver {cpu:.2f} CPU s; results {size / 1e3:,.0f} kB Parquet, {cols} columns")
            print(f"  CPU per point: driver {cpu / n * 1e6:,.0f} us, workers {workers / n * 1e6:,.0f} us; "
                  f"on {args.workers} idle cores: {args.workers * n / (cpu + workers):,.0f} points/s")


if __name__ == "__main__":
    main()
