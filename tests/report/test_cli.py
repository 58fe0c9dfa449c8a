"""``accelsim report`` and ``accelsim run --report`` as a user runs them."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from accelsim.report import load_results
from tests.conftest import run_cli
from tests.report.conftest import write_parts


def test_run_report_keeps_json_and_writes_data(small_trace_file, tmp_path):
    out, report = tmp_path / "r.json", tmp_path / "rep" / "run.html"
    p = run_cli("run", "-w", small_trace_file, "--json", "-o", out, "--report", report)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == json.loads(out.read_text())  # --json output unchanged
    data = tmp_path / "rep" / "run.data"
    assert sorted(f.name for f in data.iterdir()) == ["dram.parquet", "requests.parquet", "run.parquet"]
    res = load_results(data)
    assert len(res.points) == 1 and res.points["cycles"][0] == json.loads(p.stdout)["cycles"]
    assert res.points["hw.qk.multipliers"][0] == 512 and res.points["workload.phases"][0] == "both"
    assert len(res.requests) == json.loads(p.stdout)["requests"]
    assert res.dram["bytes"].sum() == pytest.approx(json.loads(p.stdout)["dram_bytes"])
    assert load_results(data / "run.parquet").dram.equals(res.dram)  # the part alone finds its detail tables
    assert report.read_text().startswith("<!DOCTYPE html>")


def test_report_regenerates_from_run_data(small_trace_file, tmp_path):
    assert run_cli("run", "-w", small_trace_file, "--report", tmp_path / "a.html").returncode == 0
    p = run_cli("report", tmp_path / "a.data", "-o", tmp_path / "b.html", "--title", "again")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == (f"report written to {tmp_path / 'b.html'} (6 figures: energy, latency, heads, dram, "
                                "roofline, quality)")
    assert "<title>again</title>" in (tmp_path / "b.html").read_text()


def test_report_of_sweep_dir(sweep_dir, tmp_path):
    p = run_cli("report", sweep_dir, "-o", tmp_path / "s.html")
    assert p.returncode == 0, p.stderr
    assert "(6 figures: pareto, parallel, energy, latency, roofline, quality)" in p.stdout


@pytest.fixture
def broken(tmp_path, sweep_table):
    """Results directories that must be refused."""
    rows = sweep_table.to_dict("records")
    (tmp_path / "empty").mkdir()
    part = write_parts(tmp_path / "partial", rows) / "results" / "part-00002.parquet"
    part.write_bytes(part.read_bytes()[:-300])
    write_parts(tmp_path / "old", pd.DataFrame(rows).assign(accelsim_version="0.0.9").to_dict("records"))
    write_parts(tmp_path / "failed", pd.DataFrame(rows).assign(status="error", error="x").to_dict("records"))
    return tmp_path


@pytest.mark.parametrize(("name", "pattern"), [
    ("empty", r"empty: no results: the directory holds no \*\.parquet parts"),
    ("partial", r"part-00002\.parquet: not a readable Parquet file"),
    ("old", r"results written by accelsim 0\.0\.9; this is accelsim "),
    ("failed", r"no finished points: all 16 failed \(first error: x\)"),
    ("missing", r"missing: does not exist"),
])
def test_bad_results_one_line_exit_2(broken, name, pattern):
    p = run_cli("report", broken / name, "-o", broken / "out.html")
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("accelsim: error: "), p.stderr
    assert re.search(pattern, lines[0]), lines[0]
    assert not (broken / "out.html").exists()
