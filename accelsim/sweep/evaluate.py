"""Worker side: simulate chunks of points that share a WorkPlan, and turn results into table rows.

Each process keeps the WorkPlans (and fast models) it has built, keyed by
:class:`~accelsim.sweep.points.PlanKey`, and every hardware point reuses them. Local workers fork
from the driver after it has built them, so there phase 1 runs once per (workload, policy) per
sweep; a Dask worker builds each once.
"""

from __future__ import annotations

import json
import math
import operator
import time
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

import accelsim
from accelsim import api
from accelsim.config import Hardware, Policy
from accelsim.errors import InputError
from accelsim.sim.fast import FastModel
from accelsim.sim.result import SimResult
from accelsim.sweep.points import PlanKey, Point
from accelsim.sweep.spec import REFS
from accelsim.topk import TopKParams
from accelsim.workplan import WorkPlan

_POLICY = TypeAdapter(Policy)
_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
_PLANS: dict[tuple[PlanKey, str], FastModel | WorkPlan | InputError] = {}
_PLAN_CACHE_SIZE = 8  # WorkPlans a worker keeps; a sweep rarely has more (workload, policy) pairs


@dataclass(frozen=True)
class Job:
    """What a worker needs for one chunk: the shared plan key, the timing model, the constraints."""

    plan: PlanKey
    timing: str
    constraints: tuple[tuple[str, str, float], ...]
    points: tuple[Point, ...]


def plan_for(key: PlanKey, timing: str) -> FastModel | WorkPlan | InputError:
    """The chunk's WorkPlan (wrapped in a FastModel for fast timing), built once per process."""
    k = (key, timing)
    if k not in _PLANS:
        if len(_PLANS) >= _PLAN_CACHE_SIZE:
            _PLANS.pop(next(iter(_PLANS)))
        try:
            wl = api.load_workload(key.workload, seed=key.seed)
            topk = TopKParams(**json.loads(key.topk)) if key.topk else None
            wp = api.plan(_POLICY.validate_python(json.loads(key.policy)), wl, phases=key.phases, topk=topk)
            _PLANS[k] = FastModel(wp) if timing == "fast" else wp
        except InputError as err:  # the policy cannot run on this workload: every point is infeasible
            _PLANS[k] = err
    return _PLANS[k]


def column_name(axis: str) -> str:
    """The table column of an axis: its dotted path, or ``<ref>_ref`` for a swapped base reference."""
    return f"{axis}_ref" if axis in REFS else axis


def base_row(p: Point) -> dict[str, Any]:
    """Columns every row has, before the metrics."""
    return {"point_id": p.point_id, "point_index": p.index, **p.labels,
            **{column_name(k): v for k, v in p.values.items()}}


def infeasible_row(p: Point, reason: str, wall_s: float = 0.0) -> dict[str, Any]:
    return {**base_row(p), "status": "infeasible", "error": reason, "wall_s": wall_s,
            "accelsim_version": accelsim.__version__}


def run_job(job: Job) -> list[dict[str, Any]]:
    """Simulate every point of ``job``; a point that cannot run becomes an infeasible row. On the fast
    path the chunk's points are timed together (``accelsim.api.simulate_fast_many``)."""
    model = plan_for(job.plan, job.timing)
    if isinstance(model, InputError):
        return [infeasible_row(p, model.message) for p in job.points]
    if isinstance(model, FastModel):
        t0 = time.perf_counter()
        hws = [Hardware.model_validate_json(p.hw) for p in job.points]
        results = api.simulate_fast_many(hws, model, workload=job.points[0].labels["workload"])
        wall = (time.perf_counter() - t0) / len(job.points)  # the chunk's time, shared out
        return [_row(job, p, res, wall) for p, res in zip(job.points, results, strict=True)]
    rows = []
    for p in job.points:
        t0 = time.perf_counter()
        try:
            res = api.simulate(Hardware.model_validate_json(p.hw), model, workload=p.labels["workload"])[0]
        except InputError as err:
            res = err
        rows.append(_row(job, p, res, time.perf_counter() - t0))
    return rows


def _row(job: Job, p: Point, res: SimResult | InputError, wall_s: float) -> dict[str, Any]:
    """The table row of point ``p``: its metrics, checked against the constraints, or why it could not run."""
    if isinstance(res, InputError):
        return infeasible_row(p, res.message, wall_s)
    metrics = res.flat()
    for k in ("hardware", "policy", "workload"):
        metrics.pop(k)
    broken = [f"{m} = {metrics.get(m, math.nan):.6g} violates {m} {op} {v:g}"
              for m, op, v in job.constraints if not _OPS[op](metrics.get(m, math.nan), v)]
    return {**base_row(p), **metrics, "status": "infeasible" if broken else "ok", "error": "; ".join(broken),
            "wall_s": wall_s, "accelsim_version": accelsim.__version__}
