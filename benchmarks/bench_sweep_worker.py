"""Where a sweep worker's time goes, per point: CPU microseconds of each stage of ``run_job`` on the
fast path, in this one process (CPU time, so a loaded machine inflates it far less than wall time).

Covers: ``accelsim.sweep.evaluate.run_job`` -> ``FastTimer.flat_many`` -> ``api.simulate_fast_flat``.
Scenario: the points of ``bench_sweep.py``'s sweep (3000 hardware points on the GPT-2-small CSV), every
other chunk of ``FAST_CHUNK`` (one of two workers' share), timed twice: first as a worker meets them (tables and
unit costs built as points need them), then again with everything cached (the steady state of a long
sweep). Run: ``python benchmarks/bench_sweep_worker.py``.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench_sweep import sweep_file

from accelsim import api
from accelsim.sim import result
from accelsim.sim.fast import FastModel, warm
from accelsim.sweep import evaluate
from accelsim.sweep.points import Resolver, chunks, hardware, resolve_listed
from accelsim.sweep.runner import FAST_CHUNK
from accelsim.sweep.spec import load_sweep
from accelsim.timers import get_timer

SPENT: defaultdict[str, float] = defaultdict(float)
STAGES = (
    "hardware from pairs",
    "flat_many",
    "  check_timing",
    "  FastModel.prepare",
    "  kernel (FastModel.run_many)",
    "  SimResult fields (api._fields)",
    "    of it: costs",
    "  flat columns (result.flat_columns)",
    "rows (constraints, columns)",
)
"""What is timed, in the order printed (indented: part of the stage above)."""


def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, adding the CPU seconds of each call to ``SPENT[label]``."""

    def run(*args: Any, **kw: Any) -> Any:
        t = time.process_time()
        try:
            return fn(*args, **kw)
        finally:
            SPENT[label] += time.process_time() - t

    return run


def main() -> None:
    warm()
    sweep_path = sweep_file(Path(tempfile.mkdtemp()))
    sweep = load_sweep(sweep_path)
    resolver = Resolver(sweep, sweep_path)
    resolver.check()
    jobs = [
        evaluate.Job(c[0].plan, "fast", (), tuple(replace(p, config={}) for p in c))
        for c in chunks(resolve_listed(sweep, resolver), FAST_CHUNK)
    ][::2]
    evaluate.IN_WORKER = True  # as in a sweep worker: what is loaded so far frozen out of the collector's walks
    model = evaluate.plan_for(jobs[0].plan, "fast")
    FastModel.run_many = timed("  kernel (FastModel.run_many)", FastModel.run_many)
    FastModel.prepare = timed("  FastModel.prepare", FastModel.prepare)
    api.check_timing = timed("  check_timing", api.check_timing)
    api._fields = timed("  SimResult fields (api._fields)", api._fields)
    api.costs = timed("    of it: costs", api.costs)
    result.flat_columns = timed("  flat columns (result.flat_columns)", result.flat_columns)
    timer = get_timer("fast")
    for run in ("first pass (tables and unit costs built as needed)", "second pass (all cached)"):
        SPENT.clear()
        points = 0
        for job in jobs:
            hws = timed("hardware from pairs", lambda j: [hardware(p.hw) for p in j.points])(job)
            flat = timed("flat_many", timer.flat_many)(hws, model, job.points[0].labels["workload"])
            timed("rows (constraints, columns)", evaluate._columns)(job, flat, 0.0)
            points += len(job.points)
        total = SPENT["hardware from pairs"] + SPENT["flat_many"] + SPENT["rows (constraints, columns)"]
        print(f"{run}, {points} points: {total / points * 1e6:.0f} CPU us/point")
        for label in STAGES:
            print(f"  {label:38s} {SPENT[label] / points * 1e6:6.1f}")


if __name__ == "__main__":
    main()
