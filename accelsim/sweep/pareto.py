"""Pareto fronts of a results table: objectives with their directions, a sort-based non-dominated
filter, and the front files of a sweep directory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from accelsim.errors import InputError
from accelsim.outputs import atomic_file
from accelsim.sim.stats import direction

BLOCK = 256  # sorted points checked at once against the front (memory: BLOCK x front booleans)
FRONT = "pareto"
"""Stem of the front of a sweep's own objectives (``pareto.parquet``, ``pareto.csv``)."""

Objectives = dict[str, str]
"""Column -> ``min`` or ``max``, in the order given."""


def parse_objectives(text: str, field: str = "--objectives") -> Objectives:
    """``cycles,energy_j:min,quality_mass_recall:max`` -> {name: direction}; a bare name takes its
    default direction (``accelsim.sim.stats.direction``: max for throughput, hit rate and recall)."""
    items = [item.partition(":") for item in filter(None, (s.strip() for s in text.split(",")))]
    return _checked([(name, sense or direction(name)) for name, _, sense in items], field)


def as_objectives(objectives: str | Mapping[str, str] | Sequence[str], field: str = "--objectives") -> Objectives:
    """Objectives given as ``--objectives`` text, a mapping name -> min or max, or a list of names (each
    with its default direction)."""
    if isinstance(objectives, str):
        return parse_objectives(objectives, field)
    if isinstance(objectives, Mapping):
        return _checked(list(objectives.items()), field)
    return _checked([(name, direction(name)) for name in objectives], field)


def _checked(pairs: list[tuple[str, str]], field: str) -> Objectives:
    """``pairs`` (name, direction) as Objectives; InputError for a bad direction, a repeat or none."""
    out: Objectives = {}
    for name, sense in pairs:
        if sense not in ("min", "max"):
            raise InputError(None, field, f"direction of {name!r} must be min or max, not {sense!r}")
        if name in out:
            raise InputError(None, field, f"objective {name!r} appears twice")
        out[name] = sense
    if not out:
        raise InputError(None, field, "give at least one objective, e.g. cycles,energy_j")
    return out


def _front_2d(v: np.ndarray) -> np.ndarray:
    """Non-dominated rows of [points, 2]: sort by (first, second), then a running minimum of the second."""
    order = np.lexsort((v[:, 1], v[:, 0]))
    a, b = v[order, 0], v[order, 1]
    start = np.searchsorted(a, a, side="left")  # first row of each row's group of equal first objective
    best = np.minimum.accumulate(b)
    before = np.where(start > 0, best[np.maximum(start - 1, 0)], np.inf)  # best second of strictly smaller firsts
    keep = np.zeros(len(v), bool)
    keep[order] = (b == b[start]) & (b < before)
    return keep


def _front_kd(v: np.ndarray) -> np.ndarray:
    """Non-dominated rows of [points, k]: in lexicographic order a point can only be dominated by one
    before it, so blocks of sorted points are checked against the front found so far and among
    themselves; the work grows with points x front size, not points squared."""
    order = np.lexsort(v.T[::-1])
    s = v[order]
    front = np.empty((0, v.shape[1]))
    keep = np.zeros(len(v), bool)
    for i in range(0, len(s), BLOCK):
        blk = s[i : i + BLOCK]
        alive = ~_dominated(blk, front)
        alive[alive] = ~_dominated(blk[alive], blk[alive])
        keep[order[i : i + BLOCK][alive]] = True
        front = np.concatenate([front, blk[alive]])
    return keep


def _dominated(points: np.ndarray, by: np.ndarray) -> np.ndarray:
    """True for each of ``points`` that some row of ``by`` dominates (<= in all, < in one)."""
    if not len(by) or not len(points):
        return np.zeros(len(points), bool)
    le = np.ones((len(points), len(by)), bool)
    lt = np.zeros_like(le)
    for j in range(points.shape[1]):  # one objective at a time: 2-D comparisons, no short third axis
        le &= by[None, :, j] <= points[:, j, None]
        lt |= by[None, :, j] < points[:, j, None]
    return (le & lt).any(axis=1)


def nondominated(v: np.ndarray) -> np.ndarray:
    """True for the rows of ``v`` [points, objectives] (all minimized) that no other row dominates:
    none is <= in every objective and < in one. Equal rows are all kept. A row with a NaN is never
    on the front and dominates nothing."""
    v = np.asarray(v, np.float64)
    v = v[:, None] if v.ndim == 1 else v
    ok = ~np.isnan(v).any(axis=1)
    keep = np.zeros(len(v), bool)
    if not ok.any():
        return keep
    w = v[ok]
    if w.shape[1] == 1:
        keep[ok] = w[:, 0] == w[:, 0].min()
    elif w.shape[1] == 2:
        keep[ok] = _front_2d(w)
    else:
        keep[ok] = _front_kd(w)
    return keep


def minimised(table: pd.DataFrame, objectives: Mapping[str, str]) -> np.ndarray:
    """The objective columns of ``table`` as [points, objectives], negated where maximised."""
    return np.column_stack([table[o].to_numpy(np.float64) * (1 if s == "min" else -1) for o, s in objectives.items()])


def check_columns(table: pd.DataFrame, columns: Sequence[str], field: str, source: str | None = None) -> None:
    """Raise InputError unless every one of ``columns`` is a numeric column of ``table``."""
    numeric = [
        c for c in table.columns if pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c])
    ]
    for c in columns:
        if c not in numeric:
            what = "no column" if c not in table.columns else "not a numeric column:"
            raise InputError(source, field, f"{what} {c!r} in the results; numeric columns: {', '.join(numeric)}")


def pareto_front(table: pd.DataFrame, objectives: Mapping[str, str]) -> pd.DataFrame:
    """The feasible rows that no other feasible row dominates, best first in the first objective."""
    ok = table[table["status"] == "ok"] if "status" in table.columns else table
    if ok.empty:  # no point ran: the metric columns may be missing altogether
        return ok
    check_columns(table, list(objectives), "--objectives")
    ok = ok.dropna(subset=list(objectives))
    if ok.empty:
        return ok
    front = ok[nondominated(minimised(ok, objectives))]
    return front.sort_values(
        list(objectives), ascending=[s == "min" for s in objectives.values()], kind="stable"
    ).reset_index(drop=True)


def front_stem(objectives: Mapping[str, str], own: Mapping[str, str] | None) -> str:
    """File stem of a front: ``pareto`` for the sweep's ``own`` objectives (same names, directions and
    order), else named by the objectives, e.g. ``pareto_cycles-min_quality_mass_recall-max``."""
    if own is not None and list(objectives.items()) == list(own.items()):
        return FRONT
    return "_".join([FRONT, *(f"{name}-{sense}" for name, sense in objectives.items())])


def save_front(front: pd.DataFrame, out: Path, stem: str = FRONT) -> Path:
    """Write ``front`` to ``out/<stem>.parquet`` and ``out/<stem>.csv``; the Parquet path."""
    with atomic_file(out / f"{stem}.parquet") as tmp:
        front.to_parquet(tmp, index=False)
    with atomic_file(out / f"{stem}.csv") as tmp:
        front.to_csv(tmp, index=False)
    return out / f"{stem}.parquet"
