"""A sweep file is checked whole before any point runs: each axis field against every configuration it
meets, each reference alone, every listed point; ``accelsim sweep --dry-run`` shows the count."""

import json

import pytest

from accelsim.cli import main
from accelsim.errors import InputError
from accelsim.sweep import load_sweep, run_sweep
from accelsim.sweep.points import Resolver, resolve_listed


def check(path) -> None:
    s = load_sweep(path)
    r = Resolver(s, path)
    r.check()
    resolve_listed(s, r)


@pytest.mark.parametrize(
    ("fields", "where", "message"),
    [
        # the reproduction: spatten has no heavy_ratio; this used to run N infeasible points, then fail on
        # --objectives
        (
            {"axes": {"policy.heavy_ratio": [0.1, 0.2], "hw.topk.parallelism": [4, 8]}},
            "axes.policy.heavy_ratio",
            r"policy 'spatten' \(base.policy\) has no field 'heavy_ratio'; expected one of: name, tokens, .*",
        ),
        # a field that only some of the swapped policies have
        (
            {"axes": {"policy": ["h2o", "spatten"], "policy.heavy_ratio": [0.2]}},
            "axes.policy.heavy_ratio",
            r"policy 'spatten' \(axes.policy\) has no field 'heavy_ratio'; .*",
        ),
        (
            {"zip": [{"policy": ["spatten", "h2o"], "policy.heavy_ratio": [0.3, 0.2]}]},
            "zip.0.policy.heavy_ratio",
            r"policy 'spatten' \(zip.0.policy\) has no field 'heavy_ratio'; .*",
        ),
        # a removed field says why, on an axis or in a reference
        (
            {"axes": {"policy": ["h2o"], "policy.engine": ["statistical"]}},
            "axes.policy.engine",
            r"removed: a policy selects with the hardware's top-k engine; set hw.topk.engine instead",
        ),
        (
            {"base": {"policy": {"name": "h2o", "engine": "statistical"}}},
            "base.policy",
            r"policy 'h2o', field 'engine': removed: a policy selects with the hardware's top-k engine; "
            r"set hw.topk.engine instead",
        ),
        # a value of the wrong type for the policy that meets it
        (
            {"axes": {"policy": ["h2o"], "policy.heavy_ratio": [0.1, "many"]}},
            "axes.policy.heavy_ratio",
            r"Input should be a valid number.*'many'",
        ),
        # a reference that fails alone
        (
            {"base": {"hw": {"extends": "spatten", "qk": {"bogus": 1}}}},
            "base.hw",
            r"hardware 'spatten', field qk.bogus: unknown field; expected one of: multipliers, bits, latency",
        ),
        (
            {"base": {"policy": {"name": "h2o", "heavy_ratio": 7}}},
            "base.policy",
            r"policy 'h2o', field heavy_ratio: Input should be less than or equal to 1, got 7",
        ),
        ({"base": {"policy": {"heavy_ratio": 0.1}}}, "base.policy", r"policy 'inline' has no name; .*"),
    ],
)
def test_spec_errors_before_any_point_runs(write_sweep, tmp_path, fields, where, message):
    base = fields.pop("base", {})
    path = write_sweep(**fields)
    if base:
        import yaml

        spec = yaml.safe_load(path.read_text())
        spec["base"].update(base)
        path.write_text(yaml.safe_dump(spec))
    with pytest.raises(InputError, match=rf"^{path}: field '{where}': {message}$"):
        check(path)
    with pytest.raises(InputError):
        run_sweep(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing ran, nothing was written


def test_the_reproduction_on_the_command_line(write_sweep, tmp_path, capsys):
    path = write_sweep(axes={"policy.heavy_ratio": [0.1, 0.2], "hw.topk.parallelism": [4, 8]})
    with pytest.raises(SystemExit) as exc:
        main(["sweep", str(path), "-o", str(tmp_path / "out"), "-j", "1"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "--objectives" not in err
    assert err.startswith(f"accelsim: error: {path}: field 'axes.policy.heavy_ratio': policy 'spatten'")


def test_rules_on_combined_values_stay_infeasible_rows(write_sweep, tmp_path):
    # 384 multipliers break the hardware's own rule: that point is an infeasible row, the others run
    path = write_sweep(axes={"hw.qk.multipliers": [256, 384]})
    check(path)
    t = run_sweep(path, tmp_path / "out").table
    assert list(t["status"]) == ["ok", "infeasible"]


def test_a_sweep_without_one_valid_point_is_refused(write_sweep, tmp_path):
    path = write_sweep(axes={"hw.qk.multipliers": [384, 768]})
    with pytest.raises(
        InputError,
        match=rf"^{path}: none of the 2 points is a valid configuration; the first "
        r"\(hw.qk.multipliers=384\): hardware: qk.multipliers must be a power "
        r"of two, not 384$",
    ):
        run_sweep(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_no_feasible_point_is_an_empty_front(write_sweep, tmp_path):
    # every point runs and breaks the constraint: rows say why, the front is empty, nothing fails
    out = run_sweep(
        write_sweep(axes={"hw.topk.parallelism": [4, 8]}, constraints=["area_mm2 <= 0.01"]), tmp_path / "out"
    )
    assert list(out.table["status"]) == ["infeasible"] * 2 and out.front.empty


def test_nsga2_without_one_valid_trial_is_an_empty_front(write_sweep, tmp_path, capsys):
    # nsga2 picks its points as it goes: each trial's point fails the hardware's rule, no metric column
    # exists, and the front (and `accelsim pareto`) is empty rather than an error about --objectives
    pytest.importorskip("optuna")
    path = write_sweep(axes={"hw.qk.multipliers": [384, 768]}, search={"method": "nsga2", "trials": 4, "population": 2})
    out = run_sweep(path, tmp_path / "out")
    assert (out.table["status"] == "infeasible").all() and "cycles" not in out.table and out.front.empty
    main(["pareto", str(tmp_path / "out"), "--format", "json"])
    assert json.loads(capsys.readouterr().out) == []


def test_dry_run(write_sweep, tmp_path, capsys):
    path = write_sweep(
        axes={"hw.topk.parallelism": [4, 8, 16]},
        zip=[{"hw.qk.multipliers": [256, 384], "hw.pv.multipliers": [256, 512]}],
    )
    main(["sweep", str(path), "--dry-run", "--format", "json"])
    out, err = capsys.readouterr()
    assert json.loads(out) == [
        {"axis": "hw.topk.parallelism", "set in": "axes", "count": 3, "values": "4, 8, 16"},
        {"axis": "hw.qk.multipliers", "set in": "zip.0", "count": 2, "values": "256, 384"},
        {"axis": "hw.pv.multipliers", "set in": "zip.0", "count": 2, "values": "256, 512"},
    ]
    assert "grid of 6 points: 6 distinct configurations, 3 of the points break a config rule" in err
    assert not (path.parent / "results").exists()


def test_dry_run_of_random_and_nsga2(write_sweep, capsys):
    axes = {"hw.topk.parallelism": [2, 4, 8, 16], "hw.dram.channels": [2, 4, 8]}
    main(["sweep", str(write_sweep(axes=axes, search={"method": "random", "samples": 5})), "--dry-run"])
    assert "random: 5 of a grid of 12 points (seed 0): 5 distinct configurations" in capsys.readouterr().out
    main(["sweep", str(write_sweep(axes=axes, search={"method": "nsga2", "trials": 30})), "--dry-run"])
    assert "nsga2: 30 trials over a grid of 12 points (population 16, seed 0)" in capsys.readouterr().out
