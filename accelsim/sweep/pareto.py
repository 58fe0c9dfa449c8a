"""Pareto fronts of a results table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from accelsim.errors import InputError

BLOCK = 1024  # rows compared at once: bounds memory at BLOCK x rows x objectives


def parse_objectives(text: str) -> dict[str, str]:
    """``cycles,energy_j:min,quality_mass_recall:max`` -> {name: direction}; the default is min."""
    out: dict[str, str] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, _, sense = item.partition(":")
        sense = sense or "min"
        if sense not in ("min", "max"):
            raise InputError(None, "--objectives", f"direction of {name!r} must be min or max, not {sense!r}")
        out[name] = sense
    if not out:
        raise InputError(None, "--objectives", "give at least one objective, e.g. cycles,energy_j")
    return out


def nondominated(v: np.ndarray) -> np.ndarray:
    """True for the rows of ``v`` [points, objectives] (all minimized) that no other row dominates:
    none is <= in every objective and < in one. A NaN compares false, so its row neither dominates
    nor is dominated."""
    keep = np.ones(len(v), bool)
    for i in range(0, len(v), BLOCK):
        blk = v[i:i + BLOCK]
        le = (v[None, :, :] <= blk[:, None, :]).all(axis=2)
        lt = (v[None, :, :] < blk[:, None, :]).any(axis=2)
        keep[i:i + BLOCK] = ~(le & lt).any(axis=1)
    return keep


def pareto_front(table: pd.DataFrame, objectives: dict[str, str]) -> pd.DataFrame:
    """The feasible rows that no other feasible row dominates, ordered by the first objective."""
    ok = table[table["status"] == "ok"] if "status" in table.columns else table
    if ok.empty:  # no point ran: the metric columns may be missing altogether
        return ok
    missing = [o for o in objectives if o not in table.columns]
    if missing:
        numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
        raise InputError(None, "--objectives", f"no column {missing[0]!r} in the results; numeric columns: "
                         f"{', '.join(numeric)}")
    ok = ok.dropna(subset=list(objectives))
    if ok.empty:
        return ok
    v = np.column_stack([ok[o].to_numpy(np.float64) * (1 if s == "min" else -1) for o, s in objectives.items()])
    front = ok[nondominated(v)]
    return front.sort_values(list(objectives), kind="stable").reset_index(drop=True)


def save_front(front: pd.DataFrame, out: Path) -> None:
    """Write ``front`` to ``out/pareto.parquet`` and ``out/pareto.csv``."""
    front.to_parquet(out / "pareto.parquet", index=False)
    front.to_csv(out / "pareto.csv", index=False)

