"""Worker side: simulate chunks of points that share a WorkPlan, and turn results into table rows.

Each process keeps the WorkPlans (and fast models) it has built, keyed by
:class:`~accelsim.sweep.points.PlanKey`, and every hardware point reuses them. Local workers fork
from the driver after it has built them, so there phase 1 runs once per (workload, policy) per
sweep; a Dask worker builds each once.
"""

from __future__ import annotations

import gc
import json
import math
import operator
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import accelsim
from accelsim import api
from accelsim.config import policy_adapter
from accelsim.errors import InputError
from accelsim.registry import load_plugins
from accelsim.rows import Rows
from accelsim.sim.result import FlatRows
from accelsim.sweep.points import PlanKey, Point, hardware
from accelsim.sweep.spec import REFS
from accelsim.timers import get_timer

_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
_PLANS: dict[tuple[PlanKey, str], Any] = {}
_PLAN_CACHE_SIZE = 8  # WorkPlans a worker keeps; a sweep rarely has more (workload, policy) pairs


@dataclass(frozen=True)
class Job:
    """What a worker needs for one chunk: the shared plan key, the timing model, the constraints."""

    plan: PlanKey
    timing: str
    constraints: tuple[tuple[str, str, float], ...]
    points: tuple[Point, ...]
    plugins: tuple[str, ...] = ()
    """The sweep's plug-ins (absolute paths or module names), imported by a worker before planning."""


IN_WORKER = False
"""Set in a local sweep worker process (``executors``), never in the caller's process: a notebook that
sweeps in-process keeps its cyclic garbage collectable."""


def plan_for(key: PlanKey, timing: str) -> Any:
    """The chunk's WorkPlan as the timer takes it (``Timer.prepare``: a FastModel for fast timing),
    built once per process; the InputError when the policy cannot plan the workload."""
    k = (key, timing)
    if k not in _PLANS:
        if len(_PLANS) >= _PLAN_CACHE_SIZE:
            _PLANS.pop(next(iter(_PLANS)))
        try:
            engine = api.engine_from_key(key.topk)
            wl = api.load_workload(key.workload, seed=key.seed, engine=engine)
            policy = policy_adapter().validate_python(json.loads(key.policy))
            wp = api.plan(policy, wl, phases=key.phases, engine=engine)
            _PLANS[k] = get_timer(timing).prepare(wp)
        except InputError as err:  # the policy cannot run on this workload: every point is infeasible
            _PLANS[k] = err
        if IN_WORKER:
            # the plan and everything loaded so far live as long as the worker: out of the cyclic collector's
            # reach, so the collections that a chunk's allocations trigger need not walk them (~45 us a point)
            gc.freeze()
    return _PLANS[k]


def column_name(axis: str) -> str:
    """The table column of an axis: its dotted path, or ``<ref>_ref`` for a swapped base reference."""
    return f"{axis}_ref" if axis in REFS else axis


def base_row(p: Point) -> dict[str, Any]:
    """Columns every row has, before the metrics: bookkeeping, the axes that swap a whole preset or
    file (``<ref>_ref``) and the point's config columns (none in a worker: the driver adds them)."""
    return {"point_id": p.point_id, "point_index": p.index, **p.labels,
            **{column_name(k): v for k, v in p.values.items() if k in REFS}, **p.config}


def infeasible_row(p: Point, reason: str, wall_s: float = 0.0) -> dict[str, Any]:
    return {**base_row(p), "status": "infeasible", "error": reason, "wall_s": wall_s,
            "accelsim_version": accelsim.__version__}


def run_job(job: Job) -> Rows:
    """Simulate every point of ``job``; a point that cannot run becomes an infeasible row. The timer
    takes the chunk's points together (``Timer.flat_many``: the fast path times them in one call and
    returns their rows as columns); the chunk's rows come back as columns."""
    load_plugins(job.plugins, Path(), None)
    model = plan_for(job.plan, job.timing)
    if isinstance(model, InputError):
        return Rows.of([infeasible_row(p, model.message) for p in job.points])
    t0 = time.perf_counter()
    hws = [hardware(p.hw) for p in job.points]
    flat = get_timer(job.timing).flat_many(hws, model, workload=job.points[0].labels["workload"])
    wall = (time.perf_counter() - t0) / len(job.points)  # the chunk's time, shared out
    if flat.rows is not None:
        return Rows.of([_row(job, p, r, wall) for p, r in zip(job.points, flat.rows, strict=True)])
    return _columns(job, flat, wall)


def run_pickled(job: bytes) -> Rows:
    """:func:`run_job` of a pickled Job (what the driver sends: pickled before the workers start)."""
    return run_job(pickle.loads(job))


def warm_job(job: Job) -> None:
    """Build what timing ``job``'s points reads and keeps (``Timer.warm``), timing none of them."""
    load_plugins(job.plugins, Path(), None)
    model = plan_for(job.plan, job.timing)
    if not isinstance(model, InputError):
        get_timer(job.timing).warm([hardware(p.hw) for p in job.points], model)


def _columns(job: Job, flat: FlatRows, wall_s: float) -> Rows:
    """:func:`_row` of every point of ``job``, each of which ran (``flat`` holds their results' rows as
    columns, ``flat.table``): the chunk's rows built column by column. (Points of one sweep have the same
    base columns.)"""
    base = Rows.of([base_row(p) for p in job.points])
    labels = ("hardware", "policy", "workload")
    metrics = {c: v for c, v in zip(flat.table.columns, flat.table.values, strict=True) if c not in labels}
    n = len(job.points)
    broken: list[list[str]] = [[] for _ in range(n)]
    for m, op, v in job.constraints:
        for i, x in enumerate(metrics.get(m, (math.nan,) * n)):
            if not _OPS[op](x, v):
                broken[i].append(_violation(m, op, v, x))
    tail = {"status": tuple("infeasible" if b else "ok" for b in broken), "error": tuple("; ".join(b) for b in broken),
            "wall_s": (wall_s,) * n, "accelsim_version": (accelsim.__version__,) * n}
    rows = base.beside(Rows(tuple(metrics), tuple(metrics.values()), n))
    return rows.beside(Rows(tuple(tail), tuple(tail.values()), n))


def _violation(metric: str, op: str, bound: float, value: float) -> str:
    """Why a point breaks the constraint ``metric op bound``."""
    return f"{metric} = {value:.6g} violates {metric} {op} {bound:g}"


def _row(job: Job, p: Point, flat: dict[str, Any] | InputError, wall_s: float) -> dict[str, Any]:
    """The table row of point ``p`` from its result's (``SimResult.flat``): its metrics, checked against
    the constraints, or why it could not run."""
    if isinstance(flat, InputError):
        return infeasible_row(p, f"{flat.field}: {flat.message}" if flat.field else flat.message, wall_s)
    metrics = flat
    for k in ("hardware", "policy", "workload"):
        metrics.pop(k)
    broken = [_violation(m, op, v, metrics.get(m, math.nan))
              for m, op, v in job.constraints if not _OPS[op](metrics.get(m, math.nan), v)]
    return {**base_row(p), **metrics, "status": "infeasible" if broken else "ok", "error": "; ".join(broken),
            "wall_s": wall_s, "accelsim_version": accelsim.__version__}
