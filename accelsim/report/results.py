"""Results tables: what reports read, and the one-run results directory ``accelsim run`` writes.

A **results directory** holds Parquet files. Every ``*.parquet`` file other than the detail tables
below is a *points part*: one row per design point, with

- the flattened config, whole (``accelsim.config.flat``): one column per config field, named by
  its dotted path (``hw.qk.multipliers``, ``policy.values``, ``workload.sha256``), in a run's row
  and in every sweep row alike; any column whose name holds a dot is config, and so are
  ``hw_ref``, ``policy_ref``, ``workload_ref`` (a sweep axis that swaps a whole preset or file);
- ``point_id`` (``accelsim.config.flat.point_id``: a hash of those config columns), ``status``
  (``ok`` for a finished point; anything else, e.g. ``infeasible``, with its reason in ``error``),
  ``wall_s``, ``accelsim_version``, and optionally ``point_index`` (the order to show points in);
- every column of ``SimResult.flat()`` (``cycles``, ``energy_j``, ``energy_by_dram``, ...).

A sweep writes many parts, under ``results/`` of its output directory (which is read when given
the output directory, with the objectives of the sweep file recorded there); a run writes one
(``run.parquet``). A run also keeps its detail tables,
which reports need for the per-head heatmaps and the DRAM timeline: ``requests.parquet`` (the
WorkPlan's request table) and ``dram.parquet`` (DRAM transfers: start, end, bytes, kind; cycles).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from accelsim import __version__
from accelsim.config.flat import point_id
from accelsim.errors import InputError

REQUIRED = ("point_id", "status", "accelsim_version", "cycles", "seconds", "ops", "gops", "dram_bytes",
            "bandwidth_bound_cycles", "energy_j", "area_mm2")
"""Columns every points part has."""
OK = "ok"
"""``status`` of a finished point."""
RUN_PART = "run.parquet"
SWEEP_PARTS = "results"
"""Where a sweep's output directory keeps its parts."""
REQUESTS = "requests.parquet"
DRAM = "dram.parquet"
DETAILS = (REQUESTS, DRAM)
REFS = ("hw_ref", "policy_ref", "workload_ref")
"""Config columns of sweep axes over whole presets or files."""


@dataclass
class Results:
    """Finished and failed design points, with the detail tables of a single run when present."""

    points: pd.DataFrame
    """Finished points (``status == "ok"``), one row each."""
    failed: pd.DataFrame
    """Points that did not finish, with their ``error``."""
    source: str
    requests: pd.DataFrame | None = None
    dram: pd.DataFrame | None = None
    objectives: dict[str, str] | None = None
    """The objectives of the sweep that wrote these results (its ``sweep.yaml``), when known."""
    axes: list[str] | None = None
    """The columns of that sweep's axes, when known."""

    @property
    def config_columns(self) -> list[str]:
        """Flattened config columns (dotted paths and preset references)."""
        return [c for c in self.points.columns if "." in c or c in REFS]

    @property
    def varying(self) -> list[str]:
        """Config columns that differ between finished points."""
        return [c for c in self.config_columns if self.points[c].map(str).nunique() > 1]

    @property
    def swept(self) -> list[str]:
        """The sweep's axis columns where known (a swapped preset varies many fields, but is one axis),
        else the columns that vary."""
        if self.axes is None:
            return self.varying
        return [c for c in self.axes if c in self.points.columns]


def run_row(config: dict[str, Any], flat: dict[str, Any], wall_s: float) -> dict[str, Any]:
    """One points row for a finished run: config columns, bookkeeping, then the result row."""
    return {**config, "point_id": point_id(config), "point_index": 0, "status": OK, "error": "", "wall_s": wall_s,
            "accelsim_version": __version__, **flat}


def write_run(directory: Path, row: dict[str, Any], requests: pd.DataFrame, dram: pd.DataFrame) -> None:
    """Write a one-run results directory: the points row and the detail tables."""
    directory.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([row]).to_parquet(directory / RUN_PART, index=False)
    requests.to_parquet(directory / REQUESTS, index=False)
    dram.to_parquet(directory / DRAM, index=False)


def _read(path: Path) -> pd.DataFrame:
    try:
        return pq.read_table(path).to_pandas()
    except (pa.ArrowException, OSError) as err:
        raise InputError(path, None, f"not a readable Parquet file ({type(err).__name__}); a part still "
                         "being written or truncated by a crash? Re-run or resume the sweep") from None


def load_results(path: str | Path) -> Results:
    """Read a results directory (or one points ``.parquet`` file), checking it is complete and current.

    Raises
    ------
    InputError
        If there are no points, a part is unreadable or lacks columns, no point finished, or the
        results were written by another accelsim version.
    """
    path = Path(path)
    if path.is_dir():
        where = path / SWEEP_PARTS if (path / SWEEP_PARTS).is_dir() else path
        parts = sorted(p for p in where.glob("*.parquet") if p.name not in DETAILS and not p.name.startswith("."))
        if not parts:
            raise InputError(path, None, "no results: the directory holds no *.parquet parts "
                             "(written by accelsim sweep, or accelsim run --report)")
    elif path.suffix == ".parquet" and path.is_file():
        parts = [path]
    elif path.exists():
        raise InputError(path, None, "expected a results directory or a .parquet results table")
    else:
        raise InputError(path, None, "does not exist")
    frames = []
    for part in parts:
        df = _read(part)
        missing = [c for c in REQUIRED if c not in df.columns]
        if missing:
            raise InputError(part, None, f"not an accelsim results table: missing columns {', '.join(missing)}")
        frames.append(df)
    results = results_from_table(pd.concat(frames, ignore_index=True), str(path))
    if path.is_dir():
        from accelsim.sweep.evaluate import column_name
        from accelsim.sweep.runner import recorded_sweep

        sweep = recorded_sweep(path)
        if sweep is not None:
            results.objectives = dict(sweep.objectives)
            results.axes = [column_name(a) for g in sweep.groups() for a in g]
    if len(results.points) == 1 and results.failed.empty:
        base = path if path.is_dir() else path.parent
        if (base / REQUESTS).is_file():
            results.requests = _read(base / REQUESTS)
        if (base / DRAM).is_file():
            results.dram = _read(base / DRAM)
    return results


def results_from_table(table: pd.DataFrame, source: str) -> Results:
    """Check a points table (columns, version, at least one finished point) and split it.

    Rows repeating a ``point_id`` (two runs racing on one sweep directory) keep the first, as the
    sweep's store does; points are ordered by ``point_index`` when present.

    Raises
    ------
    InputError
        If the table has no rows or lacks columns, no point finished, or another accelsim
        version wrote it.
    """
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise InputError(source, None, f"not an accelsim results table: missing columns {', '.join(missing)}")
    if table.empty:
        raise InputError(source, None, "no results: the table holds no rows")
    versions = sorted(table["accelsim_version"].map(str).unique())
    if versions != [__version__]:
        raise InputError(source, None, f"results written by accelsim {', '.join(versions)}; this is accelsim "
                         f"{__version__}: re-run the sweep with this version or install that one")
    table = table.drop_duplicates("point_id", keep="first")
    if "point_index" in table.columns:
        table = table.sort_values("point_index", kind="stable")
    table = table.reset_index(drop=True)
    done = table["status"] == OK
    if not done.any():
        first = str(table["error"].iloc[0]) if "error" in table.columns else ""
        raise InputError(source, None, f"no finished points: all {len(table)} failed"
                         + (f" (first error: {first})" if first else ""))
    return Results(points=table[done].reset_index(drop=True), failed=table[~done].reset_index(drop=True),
                   source=source)
