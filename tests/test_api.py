"""``accelsim.run``, ``accelsim.sweep`` and ``accelsim.report``: the CLI's results and messages from Python."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys

import pytest
import yaml

import accelsim
from accelsim import api
from accelsim.config import PRESETS, load_hardware, load_policy
from accelsim.errors import InputError
from accelsim.sim.result import SimResult
from accelsim.sweep import read_results
from accelsim.timers import TIMERS
from tests.conftest import CSV_PRUNED, ROOT, cli


def cli_json(*args) -> dict:
    p = cli("run", "--json", *args)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def cli_error(*args) -> str:
    p = cli(*args)
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    return p.stderr.strip().removeprefix("accelsim: error: ")


def as_json(result: SimResult) -> dict:
    return json.loads(result.model_dump_json())


def figures(html_path) -> list[str]:
    return re.findall(r"<div class='plot' id='fig-(\w+)'", html_path.read_text())


def test_import_stays_cheap():
    code = "import accelsim, sys; print([m for m in sys.modules if m.startswith(('accelsim.', 'pandas', 'pydantic'))])"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert p.stdout.strip() == "[]"


def test_run_csv_equals_cli():
    want = cli_json("-w", CSV_PRUNED)
    assert as_json(accelsim.run(CSV_PRUNED)) == want
    assert as_json(accelsim.run(api.load_workload(CSV_PRUNED), "spatten", "spatten")) == want  # a loaded WorkPlan


def test_run_behavioural_equals_cli():
    want = cli_json("-w", CSV_PRUNED, "--timing", "spatten-behavioural")
    assert {**as_json(accelsim.run(CSV_PRUNED, timing="spatten-behavioural")),
            "timing": want["timing"], "breakdown": want["breakdown"]} == want


@pytest.mark.parametrize("form", ["names", "paths", "objects"])
def test_run_trace_overrides_equal_cli(small_trace, small_trace_file, form):
    want = cli_json("-w", small_trace_file, "--set", "hw.topk.parallelism=8", "--set", "policy.values=0.3",
                    "--phases", "decode")
    hw, policy = {"names": ("spatten", "spatten"),
                  "paths": (PRESETS / "hardware" / "spatten.yaml", str(PRESETS / "policy" / "spatten.yaml")),
                  "objects": (load_hardware("spatten"), load_policy("spatten"))}[form]
    over = {"hw.topk.parallelism": 8, "policy.values": 0.3}
    assert as_json(accelsim.run(small_trace_file, hw, policy, overrides=over, phases="decode")) == want
    by_object = accelsim.run(workload=small_trace, hw=hw, policy=policy, overrides=over, phases="decode")
    assert as_json(by_object) == {**want, "workload": small_trace.meta.model}


def test_hardware_topk_params_reach_phase_1(small_trace_file):
    # the hardware's pivot seed shapes the quick-select passes phase 1 records (policy and hardware
    # run the same engine), so it changes the cycles; the API equals the CLI
    cycles = {seed: accelsim.run(small_trace_file, overrides={"hw.topk.pivot_seed": seed}).cycles
              for seed in (0xACE1, 1)}
    assert cycles[0xACE1] != cycles[1]
    assert cli_json("-w", small_trace_file, "--set", "hw.topk.pivot_seed=1")["cycles"] == cycles[1]
    # the statistical engine's z rounding moves its threshold: another selection
    stat = {"hw.topk.engine": "statistical"}
    recall = {z: accelsim.run(small_trace_file, overrides={**stat, "hw.topk.z_frac_bits": z}).quality.mass_recall
              for z in (8, 2)}
    assert recall[8] != recall[2]


@pytest.mark.parametrize(("args", "kwargs"), [
    (["--hw", "nosuch"], {"hw": "nosuch"}),
    (["--policy", "nosuch"], {"policy": "nosuch"}),
    (["--hw", "{tmp}/missing.yaml"], {"hw": "{tmp}/missing.yaml"}),
    (["-w", "{tmp}/missing.csv"], {"workload": "{tmp}/missing.csv"}),
    (["--set", "hw.topk.parallelizm=4"], {"overrides": {"hw.topk.parallelizm": 4}}),
    (["--set", "policy.values=abc"], {"overrides": {"policy.values": "abc"}}),
    (["--set", "hw.topk.jobs_in_flight=3"], {"overrides": {"hw.topk.jobs_in_flight": 3}}),
    # knobs that would change nothing: a request trace's passes are drawn from --seed, and a
    # policy without selections never runs quick-select's LFSR
    (["-w", str(CSV_PRUNED), "--set", "hw.topk.pivot_seed=7"],
     {"workload": str(CSV_PRUNED), "overrides": {"hw.topk.pivot_seed": 7}}),
    (["--set", "hw.topk.pivot_seed=7", "--policy", "dense"],
     {"overrides": {"hw.topk.pivot_seed": 7}, "policy": "dense"}),
    # one engine choice: the hardware's
    (["--set", "policy.engine=statistical"], {"overrides": {"policy.engine": "statistical"}}),
])
def test_bad_input_same_message_as_cli(small_trace_file, tmp_path, args, kwargs):
    args = [a.format(tmp=tmp_path) for a in args]
    kwargs = {k: v.format(tmp=tmp_path) if isinstance(v, str) else v for k, v in kwargs.items()}
    message = cli_error("run", *(["-w", str(small_trace_file)] if "-w" not in args else []), *args)
    with pytest.raises(InputError) as err:
        accelsim.run(**{"workload": small_trace_file, **kwargs})
    assert str(err.value) == message


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"hw": 42}, r"field '--hw': expected a hardware preset name, .* got int"),
    ({"policy": load_hardware("spatten")}, r"field '--policy': expected a policy preset name, .* got Hardware"),
    ({"workload": 42}, r"field '--workload': expected a path, a Trace or a WorkPlan, got int"),
    ({"overrides": ["hw.topk.parallelism=4"]}, r"field 'overrides': expected a dict"),
    ({"overrides": {"topk.parallelism": 4}}, r"field 'overrides': expected hw\.PATH or policy\.PATH, got 'topk"),
    ({"overrides": {"hw.topk": 1, "hw.topk.parallelism": 4}}, r"'hw\.topk\.parallelism' sets a field inside hw\.topk"),
    ({"timing": "bogus"}, rf"field '--timing': expected one of: {re.escape(TIMERS.names())}, got 'bogus'"),
    ({"phases": "all"}, r"field '--phases': expected one of: prefill, decode, both, got 'all'"),
])
def test_bad_argument_types(small_trace_file, kwargs, pattern):
    with pytest.raises(InputError, match=pattern):
        accelsim.run(**{"workload": small_trace_file, **kwargs})


def test_run_report_like_cli(small_trace_file, tmp_path):
    assert cli("run", "-w", small_trace_file, "--report", tmp_path / "cli.html").returncode == 0
    result = accelsim.run(small_trace_file)
    assert accelsim.report(result, tmp_path / "api.html") == tmp_path / "api.html"
    assert (tmp_path / "api.data" / "requests.parquet").is_file()
    assert figures(tmp_path / "api.html") == figures(tmp_path / "cli.html")
    assert "dram" in figures(tmp_path / "api.html") and "heads" in figures(tmp_path / "api.html")
    # a SimResult that accelsim.run did not return (here: read back from JSON) reports its metrics alone
    accelsim.report(SimResult.model_validate_json(result.model_dump_json()), tmp_path / "alone.html")
    assert "energy" in figures(tmp_path / "alone.html") and "dram" not in figures(tmp_path / "alone.html")


def test_sweep_dict_and_path_equal_cli(small_trace_file, tmp_path, monkeypatch):
    spec = {"version": 1, "name": "api", "base": {"workload": str(small_trace_file)},
            "axes": {"hw.topk.parallelism": [4, 8]}, "timing": "event"}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert cli("sweep", path, "-o", tmp_path / "cli", "-j", "1").returncode == 0
    cols = ["point_id", "status", "hw.topk.parallelism", "cycles", "energy_j", "dram_bytes", "area_mm2"]
    want = read_results(tmp_path / "cli").sort_values("point_id")[cols].reset_index(drop=True)
    monkeypatch.chdir(small_trace_file.parent)  # a dict's relative paths start from the working directory
    relative = {**spec, "base": {"workload": small_trace_file.name}}
    for name, given in [("dict", relative), ("path", path)]:
        got = accelsim.sweep(given, tmp_path / name, jobs=1)
        assert got.sort_values("point_id")[cols].reset_index(drop=True).equals(want), name
        assert (tmp_path / name / "pareto.parquet").is_file() and (tmp_path / name / "sweep.yaml").is_file()
    assert accelsim.sweep(path, tmp_path / "path", jobs=1)[cols].equals(got[cols])  # finished points are skipped
    assert cli("report", tmp_path / "cli", "-o", tmp_path / "cli.html").returncode == 0
    accelsim.report(got, tmp_path / "table.html")
    accelsim.report(tmp_path / "path", tmp_path / "dir.html")
    assert figures(tmp_path / "table.html") == figures(tmp_path / "dir.html") == figures(tmp_path / "cli.html")


def test_sweep_and_report_bad_input(tmp_path):
    missing = tmp_path / "missing.yaml"
    with pytest.raises(InputError) as err:
        accelsim.sweep(missing)
    assert str(err.value) == cli_error("sweep", missing)
    with pytest.raises(InputError) as err:
        accelsim.report(tmp_path / "nothing", tmp_path / "r.html")
    assert str(err.value) == cli_error("report", tmp_path / "nothing", "-o", tmp_path / "r.html")
    with pytest.raises(InputError, match=r"sweep spec: field 'base': Field required"):
        accelsim.sweep({"name": "x"}, tmp_path / "x")
    with pytest.raises(InputError, match=r"field 'spec': expected a sweep YAML path or a dict, got int"):
        accelsim.sweep(42)
    with pytest.raises(InputError, match=r"field '--jobs': expected a number of processes, at least 1, got 0"):
        accelsim.sweep({"name": "x"}, jobs=0)
    with pytest.raises(InputError, match=r"field 'results': expected a SimResult, .* got int"):
        accelsim.report(42, tmp_path / "r.html")


def test_sweep_and_report_stay_packages():
    from accelsim.report import load_results
    from accelsim.sweep import run_sweep

    assert accelsim.sweep.run_sweep is run_sweep and accelsim.report.load_results is load_results
    assert list(inspect.signature(accelsim.sweep).parameters) == ["spec", "out", "jobs"]
    assert list(inspect.signature(accelsim.report).parameters) == ["results", "path", "title", "objectives", "x", "y",
                                                                   "color"]
