"""``accelsim report`` and ``accelsim run --report`` as a user runs them."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from accelsim.cli import main
from accelsim.report import load_results
from accelsim.sweep import pareto_front
from tests.conftest import cli
from tests.report.conftest import THREE, figure, front_ids, front_traces, write_parts


def test_run_report_keeps_json_and_writes_data(small_trace_file, tmp_path):
    out, report = tmp_path / "r.json", tmp_path / "rep" / "run.html"
    p = cli("run", "-w", small_trace_file, "--json", "-o", out, "--report", report)
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
    assert cli("run", "-w", small_trace_file, "--report", tmp_path / "a.html").returncode == 0
    p = cli("report", tmp_path / "a.data", "-o", tmp_path / "b.html", "--title", "again")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == (f"report written to {tmp_path / 'b.html'} (6 figures: energy, latency, heads, dram, "
                                "roofline, quality)")
    assert "<title>again</title>" in (tmp_path / "b.html").read_text()


def test_report_of_sweep_dir(sweep_dir, tmp_path):
    p = cli("report", sweep_dir, "-o", tmp_path / "s.html")
    assert p.returncode == 0, p.stderr
    assert "(6 figures: pareto, parallel, energy, latency, roofline, quality)" in p.stdout


def test_report_plots_the_sweeps_objectives_and_the_chosen_axes(sweep_table, tmp_path):
    """The sweep file's objectives (recall maximised) by default; --objectives, --x, --y, --color override."""
    swept = write_parts(tmp_path / "three", sweep_table.to_dict("records"), objectives=THREE)
    out = tmp_path / "three.html"
    main(["report", str(swept), "-o", str(out)])
    fronts = front_traces(figure(out.read_text(), "pareto"))
    assert len(fronts) == 3 and all(front_ids(t) == set(pareto_front(sweep_table, THREE)["point_id"]) for t in fronts)

    main(["report", str(swept), "-o", str(out), "--objectives", "cycles,quality_mass_recall", "--x", "area_mm2",
          "--y", "power_w", "--color", "energy_j"])
    page = out.read_text()
    fig = figure(page, "pareto")
    (front,) = front_traces(fig)  # bare recall is maximised
    recall = {"cycles": "min", "quality_mass_recall": "max"}
    assert front_ids(front) == set(pareto_front(sweep_table, recall)["point_id"])
    assert front["name"] == "Pareto front (cycles min, quality_mass_recall max)"
    assert (fig["layout"]["xaxis"]["title"]["text"], fig["layout"]["yaxis"]["title"]["text"]) == \
        ("area_mm2 [mm2]", "power_w [W]")
    assert fig["data"][0]["marker"]["colorbar"]["title"]["text"] == "energy_j"
    assert "; objectives: cycles (min), quality_mass_recall (max)." in page


@pytest.mark.parametrize(("args", "pattern"), [
    (["--x", "latency"], r"field '--x': no column 'latency' in the results; numeric columns: "),
    (["--objectives", "cycles:most"], r"field '--objectives': direction of 'cycles' must be min or max, not 'most'$"),
    (["--color", "policy.name"], r"field '--color': not a numeric column: 'policy\.name'"),
])
def test_bad_report_options_one_line_exit_2(sweep_dir, tmp_path, capsys, args, pattern):
    with pytest.raises(SystemExit) as exit_:
        main(["report", str(sweep_dir), "-o", str(tmp_path / "x.html"), *args])
    lines = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(lines) == 1 and re.search(pattern, lines[0]), lines
    assert not (tmp_path / "x.html").exists()


def test_axes_of_one_run_are_refused(sweep_table, tmp_path, capsys):
    one = tmp_path / "run.parquet"
    sweep_table.iloc[:1].to_parquet(one)
    with pytest.raises(SystemExit) as exit_:
        main(["report", str(one), "-o", str(tmp_path / "b.html"), "--y", "cycles"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip() == (f"accelsim: error: {one}: field '--y': one point has no trade-off "
                                               "figures; give a sweep's results")


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
def test_bad_results_one_line_exit_2(broken, name, pattern, capsys):
    # in this process (the error path is main's, as in a fresh one; a fresh one per case cost 2 s each)
    with pytest.raises(SystemExit) as exit_:
        main(["report", str(broken / name), "-o", str(broken / "out.html")])
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("accelsim: error: "), lines
    assert re.search(pattern, lines[0]), lines[0]
    assert not (broken / "out.html").exists()


def test_api_report_takes_the_same_options(sweep_table, tmp_path):
    """``accelsim.report(..., objectives=, x=, y=, color=)`` draws what the command draws."""
    import accelsim
    from accelsim.errors import InputError
    from accelsim.sim.result import SimResult

    swept = write_parts(tmp_path / "s", sweep_table.to_dict("records"))
    main(["report", str(swept), "-o", str(tmp_path / "cli.html"), "--objectives", "cycles,quality_mass_recall",
          "--x", "area_mm2", "--color", "energy_j"])
    accelsim.report(sweep_table, tmp_path / "api.html", objectives={"cycles": "min", "quality_mass_recall": "max"},
                    x="area_mm2", color="energy_j")
    cli, api = (figure((tmp_path / f"{n}.html").read_text(), "pareto") for n in ("cli", "api"))
    assert cli == api and front_traces(api)[0]["name"] == "Pareto front (cycles min, quality_mass_recall max)"
    with pytest.raises(InputError, match=r"^field 'y': one point has no trade-off figures"):
        accelsim.report(SimResult.model_construct(), tmp_path / "one.html", y="cycles")  # refused before it is read
