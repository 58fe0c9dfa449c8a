"""The example plug-in package, installed as a user would: its policy and top-k engine run from
``accelsim run``, a sweep YAML and the Python API, and its figure is drawn by ``accelsim report``, found
through its entry points alone."""

from __future__ import annotations

import json

import yaml

from accelsim.sweep.store import read_results
from tests.plugins.conftest import accelsim, run_json

RADIX = ["--set", "hw.topk.engine=radix"]


def test_accelsim_run_finds_the_installed_policy_and_engine(example_site, small_trace_file):
    res = run_json("-w", small_trace_file, "--policy", "sinktopk", *RADIX, site=example_site)
    assert res["policy"] == "sinktopk" and res["topk_jobs"] > 0
    # the engine is the plug-in's: quick-select on the same policy times the same jobs differently
    qs = run_json("-w", small_trace_file, "--policy", "sinktopk", site=example_site)
    assert qs["topk_jobs"] == res["topk_jobs"] and qs["cycles"] != res["cycles"]


def test_without_the_package_the_names_are_unknown(small_trace_file):
    proc = accelsim("-m", "accelsim.cli", "run", "-w", small_trace_file, "--policy", "sinktopk")
    assert proc.returncode == 2 and "unknown policy preset 'sinktopk'" in proc.stderr
    proc = accelsim("-m", "accelsim.cli", "run", "-w", small_trace_file, "--set", "hw.topk.engine=radix")
    assert proc.returncode == 2 and "unknown top-k engine 'radix'" in proc.stderr


def test_a_sweep_yaml_varies_the_plugin_engine(example_site, small_trace_file, tmp_path):
    spec = {
        "version": 1,
        "name": "plugins",
        "timing": "event",
        "base": {
            "hw": {"extends": "spatten", "topk": {"engine": "radix"}},
            "policy": {"name": "sinktopk"},
            "workload": str(small_trace_file),
        },
        "axes": {"hw.topk.parallelism": [4, 16]},
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec))
    proc = accelsim(
        "-m", "accelsim.cli", "sweep", tmp_path / "s.yaml", "-o", tmp_path / "out", "-j", "1", site=example_site
    )
    assert proc.returncode == 0, proc.stderr
    table = read_results(tmp_path / "out")
    assert list(table["status"]) == ["ok", "ok"]
    assert table.sort_values("hw.topk.parallelism")["cycles"].is_monotonic_decreasing


def test_the_python_api_runs_the_plugins(example_site, small_trace_file):
    code = (
        "import json, accelsim\n"
        f"r = accelsim.run({str(small_trace_file)!r}, policy='sinktopk',\n"
        "                  overrides={'hw.topk.engine': 'radix'})\n"
        "print(json.dumps({'policy': r.policy, 'cycles': r.cycles}))"
    )
    proc = accelsim("-c", code, site=example_site)
    assert proc.returncode == 0, proc.stderr
    api = json.loads(proc.stdout)
    cli = run_json("-w", small_trace_file, "--policy", "sinktopk", *RADIX, site=example_site)
    assert api == {"policy": "sinktopk", "cycles": cli["cycles"]}


def test_the_plugin_engines_own_field_from_a_hardware_yaml_and_a_sweep_axis(example_site, small_trace_file, tmp_path):
    # radix_bits is declared by the plug-in's params model alone, and sets its passes and cycles
    hw = tmp_path / "hw.yaml"
    hw.write_text(yaml.safe_dump({"extends": "spatten", "topk": {"engine": "radix", "radix_bits": 2}}))
    two = run_json("-w", small_trace_file, "--policy", "sinktopk", "--hw", hw, site=example_site)
    four = run_json("-w", small_trace_file, "--policy", "sinktopk", *RADIX, site=example_site)  # its default: 4
    assert two["topk_jobs"] == four["topk_jobs"] and two["cycles"] != four["cycles"]
    spec = {
        "version": 1,
        "name": "radix-bits",
        "timing": "event",
        "base": {"hw": str(hw), "policy": {"name": "sinktopk"}, "workload": str(small_trace_file)},
        "axes": {"hw.topk.radix_bits": [2, 4, 8]},
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec))
    proc = accelsim(
        "-m", "accelsim.cli", "sweep", tmp_path / "s.yaml", "-o", tmp_path / "out", "-j", "1", site=example_site
    )
    assert proc.returncode == 0, proc.stderr
    table = read_results(tmp_path / "out").sort_values("hw.topk.radix_bits")
    assert list(table["status"]) == ["ok"] * 3 and list(table["hw.topk.radix_bits"]) == [2, 4, 8]
    # the sweep's points time as the runs do, and each digit width differently
    assert list(table["cycles"])[:2] == [two["cycles"], four["cycles"]] and table["cycles"].nunique() == 3


def test_the_plugin_engines_field_is_refused_with_another_engine(example_site, small_trace_file):
    proc = accelsim(
        "-m", "accelsim.cli", "run", "-w", small_trace_file, "--set", "hw.topk.radix_bits=2", site=example_site
    )
    assert proc.returncode == 2
    assert "field 'topk.radix_bits': read only by the radix engine (topk.engine is 'quickselect')" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_accelsim_run_adds_the_installed_unit(example_site, small_trace_file):
    # the unit's block comes from --set alone; both timers account for it alike
    event = run_json("-w", small_trace_file, "--set", "hw.outquant.lanes=2", site=example_site)
    fast = run_json("-w", small_trace_file, "--set", "hw.outquant.lanes=2", "--timing", "fast", site=example_site)
    plain = run_json("-w", small_trace_file, site=example_site)
    assert event["busy_by"]["outquant"] == fast["busy_by"]["outquant"] > 0 and "outquant" not in plain["busy_by"]
    assert event["area_by"]["outquant"] > 0 and event["area_mm2"] > plain["area_mm2"]


def test_a_sweep_varies_the_plugin_unit(example_site, small_trace_file, tmp_path):
    spec = {
        "version": 1,
        "name": "unit",
        "timing": "fast",
        "base": {"hw": {"extends": "spatten", "outquant": {}}, "policy": "spatten", "workload": str(small_trace_file)},
        "axes": {"hw.outquant.lanes": [1, 8], "hw.outquant.bits": [4, 8]},
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec))
    proc = accelsim(
        "-m", "accelsim.cli", "sweep", tmp_path / "s.yaml", "-o", tmp_path / "out", "-j", "1", site=example_site
    )
    assert proc.returncode == 0, proc.stderr
    table = read_results(tmp_path / "out").set_index(["hw.outquant.lanes", "hw.outquant.bits"]).sort_index()
    assert list(table["status"]) == ["ok"] * 4
    # lanes set its cycles, bits its area
    assert table.loc[(1, 8), "busy_by_outquant"] == 8 * table.loc[(8, 8), "busy_by_outquant"]
    assert table.loc[(8, 4), "area_by_outquant"] < table.loc[(8, 8), "area_by_outquant"]
    assert table.loc[(8, 4), "busy_by_outquant"] == table.loc[(8, 8), "busy_by_outquant"]


def test_accelsim_report_draws_the_installed_figure(example_site, small_trace_file, tmp_path):
    spec = {
        "version": 1,
        "name": "figure",
        "timing": "fast",
        "base": {"hw": "spatten", "policy": "spatten", "workload": str(small_trace_file)},
        "axes": {"hw.dram.channels": [2, 16]},
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec))
    proc = accelsim("-m", "accelsim.cli", "sweep", tmp_path / "s.yaml", "-o", tmp_path / "out", "-j", "1")
    assert proc.returncode == 0, proc.stderr
    for site in (example_site, None):
        page = tmp_path / f"{site is not None}.html"
        proc = accelsim("-m", "accelsim.cli", "report", tmp_path / "out", "-o", page, site=site)
        assert proc.returncode == 0, proc.stderr
        # the figure's section comes from the entry point alone: without the package the page lacks it
        assert ("id='fig-kv_energy'" in page.read_text()) is (site is not None)
        assert ("kv_energy" in proc.stdout) is (site is not None)
