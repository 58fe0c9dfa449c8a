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
from pathlib import Path
from typing import Any

import accelsim
from accelsim import api
from accelsim.config import Hardware, policy_adapter
from accelsim.errors import InputError
from accelsim.registry import load_plugins
from accelsim.sweep.points import PlanKey, Point
from accelsim.sweep.spec import REFS
from accelsim.timers import get_timer
from accelsim.topk import TopKParams

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


def plan_for(key: PlanKey, timing: str) -> Any:
    """The chunk's WorkPlan as the timer takes it (``Timer.prepare``: a FastModel for fast timing),
    built once per process; the InputError when the policy cannot plan the workload."""
    k = (key, timing)
    if k not in _PLANS:
        if len(_PLANS) >= _PLAN_CACHE_SIZE:
            _PLANS.pop(next(iter(_PLANS)))
        try:
            wl = api.load_workload(key.workload, seed=key.seed)
            topk = TopKParams(**json.loads(key.topk)) if key.topk else None
            wp = api.plan(policy_adapter().validate_python(json.loads(key.policy)), wl, phases=key.phases, topk=topk)
            _PLANS[k] = get_timer(timing).prepare(wp)
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
    """Simulate every point of ``job``; a point that cannot run becomes an infeasible row."""
    load_plugins(job.plugins, Path(), None)
    model = plan_for(job.plan, job.timing)
    rows = []
    for p in job.points:
        t0 = time.perf_counter()
        if isinstance(model, InputError):
            rows.append(infeasible_row(p, model.message))
            continue
        try:
            hw = Hardware.model_validate_json(p.hw)
            res = get_timer(job.timing).time(hw, model, workload=p.labels["workload"]).result
        except InputError as err:
            rows.append(infeasible_row(p, err.message, time.perf_counter() - t0))
            continue
        metrics = res.flat()
        for k in ("hardware", "policy", "workload"):
            metrics.pop(k)
        broken = [f"{m} = {metrics.get(m, math.nan):.6g} violates {m} {op} {v:g}"
                  for m, op, v in job.constraints if not _OPS[op](metrics.get(m, math.nan), v)]
        rows.append({**base_row(p), **metrics, "status": "infeasible" if broken else "ok",
                     "error": "; ".join(broken), "wall_s": time.perf_counter() - t0,
                     "accelsim_version": accelsim.__version__})
    return rows
