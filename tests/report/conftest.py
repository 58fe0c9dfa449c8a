"""Results tables for report tests: a small real sweep (``api.simulate`` over hardware points, written
as Parquet parts the way a sweep writes them) and a large synthetic one."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from accelsim import api
from accelsim.config import load_hardware, load_policy
from accelsim.report.html import SHIPPED
from accelsim.report.panels import FIGURES
from accelsim.report.results import run_row

AXES = {"qk.multipliers": [128, 512], "topk.parallelism": [4, 16], "dram.channels": [2, 16]}


def sweep_rows(trace, policies: tuple[str, ...] = ("spatten", "dense")) -> list[dict]:
    """One results row per (policy, hardware point) of ``AXES``: swept columns only, as a sweep writes."""
    rows = []
    for name in policies:
        policy = load_policy(name)
        plan = api.plan(policy, trace)
        for values in itertools.product(*AXES.values()):
            over: dict = {}
            for path, v in zip(AXES, values, strict=True):
                unit, field = path.split(".")
                over.setdefault(unit, {})[field] = v
            hw = load_hardware("spatten", over)
            result, _ = api.simulate(hw, plan, workload="synthetic")
            config = {"policy.name": name, **{f"hw.{p}": v for p, v in zip(AXES, values, strict=True)},
                      "hw.pv.multipliers": hw.pv.multipliers, "hw.clock_ghz": hw.clock_ghz}
            rows.append(run_row(config, result.flat(), 0.01))
    return rows


def write_parts(directory: Path, rows: list[dict], per_part: int = 4, objectives: dict | None = None,
                axes: dict | None = None) -> Path:
    """Rows as a sweep's output directory: ``results/part-00000.parquet``, ... of ``per_part`` rows each,
    numbered by ``point_index``, beside the sweep file (``axes``, by default the config columns the rows vary;
    ``objectives`` when given, else the default ones) and a Pareto table (which reports must not read)."""
    parts = directory / "results"
    parts.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(rows).assign(point_index=range(len(rows)))
    for i in range(0, len(rows), per_part):
        table.iloc[i:i + per_part].to_parquet(parts / f"part-{i // per_part:05d}.parquet", index=False)
    if axes is None:  # the sweep that made these rows: its axes are the config columns they vary
        varying = [c for c in table.columns if "." in c and table[c].map(str).nunique() > 1]
        axes = {c: sorted(table[c].unique().tolist()) for c in varying}
    spec = {"version": 1, "base": {"workload": "small.safetensors"}, "axes": axes}
    if objectives:
        spec["objectives"] = objectives
    (directory / "sweep.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    table.iloc[:1].assign(point_id="front-copy").to_parquet(directory / "pareto.parquet", index=False)
    return directory


@pytest.fixture(scope="session")
def sweep_table(small_trace) -> pd.DataFrame:
    """16 real design points: 2 policies × 2 multiplier counts × 2 top-k parallelisms × 2 DRAM channel counts."""
    return pd.DataFrame(sweep_rows(small_trace))


@pytest.fixture(scope="session")
def sweep_dir(tmp_path_factory, sweep_table) -> Path:
    return write_parts(tmp_path_factory.mktemp("sweep"), sweep_table.to_dict("records"))


def synthetic_sweep(base: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` points resampled from ``base`` with new swept values and jittered metrics (consistent sums)."""
    rng = np.random.default_rng(seed)
    t = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    t["hw.sram.key_kb"] = rng.choice([64, 96, 128, 196, 256], n)
    t["hw.softmax.parallelism"] = rng.choice([4, 8, 16], n)
    for group in ("energy_by_", "busy_by_"):
        cols = [c for c in t.columns if c.startswith(group)]
        t[cols] = t[cols].to_numpy() * rng.uniform(0.7, 1.3, (n, len(cols)))
    t["energy_j"] = t[[c for c in t.columns if c.startswith("energy_by_")]].sum(axis=1)
    stretch = rng.uniform(0.9, 1.4, n)
    for c in ("cycles", "seconds"):
        t[c] = t[c] * stretch
    t["gops"] = t["ops"] / t["seconds"] / 1e9
    t["point_id"] = [f"{i:016x}" for i in range(n)]
    t["point_index"] = range(n)
    return t


THREE = {"cycles": "min", "energy_j": "min", "quality_mass_recall": "max"}
"""Three objectives, one maximised: their front differs from the cycles-energy one and from the front
with recall minimised."""


def shipped(names: list[str]) -> list[str]:
    """``names`` without the figures of plug-ins (an installed plug-in package may add some to any report)."""
    return [n for n in names if n not in FIGURES or FIGURES.origin(n).startswith(SHIPPED)]


def figure(page: str, name: str) -> dict:
    """The Plotly figure ``fig-<name>`` embedded in a report page."""
    m = re.search(rf"<script type='application/json' id='data-fig-{name}'>(.*?)</script>", page, re.S)
    assert m, f"no figure {name}"
    return json.loads(m.group(1).replace("<\\/", "</"))


def front_ids(trace: dict) -> set[str]:
    """The point ids in a trace's hover texts (``point_id=...``)."""
    return set(re.findall(r"point_id=(\w+)", " ".join(t for t in trace["text"] if t)))


def front_traces(fig: dict) -> list[dict]:
    """The traces of ``fig`` that mark the Pareto front."""
    return [t for t in fig["data"] if t.get("name", "").startswith("Pareto front")]
