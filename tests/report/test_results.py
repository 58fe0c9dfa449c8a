"""Loading results tables: good directories, and every kind of bad one as a clear one-line error."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from accelsim import __version__
from accelsim.config.flat import flatten
from accelsim.errors import InputError
from accelsim.report.results import load_results, results_from_table
from tests.report.conftest import write_parts


def test_flatten_paths_and_lists():
    assert flatten("hw", {"qk": {"multipliers": 512}, "name": "x", "keep": [0.5, 0.25]}) == {
        "hw.qk.multipliers": 512, "hw.name": "x", "hw.keep": "[0.5, 0.25]"}


def test_sweep_dir_loads_all_parts(sweep_dir, sweep_table):
    res = load_results(sweep_dir)
    assert len(res.points) == len(sweep_table) == 16 and res.failed.empty  # pareto.parquet beside: not read
    assert list(res.points["point_index"]) == list(range(16))
    assert load_results(sweep_dir / "results").points.equals(res.points)
    assert set(res.swept) == {"policy.name", "hw.qk.multipliers", "hw.topk.parallelism", "hw.dram.channels"}
    assert res.requests is None and res.dram is None


def test_sweep_dir_carries_its_objectives(sweep_dir, sweep_table, tmp_path):
    assert load_results(sweep_dir).objectives == {"cycles": "min", "energy_j": "min"}  # the file names none
    three = {"cycles": "min", "energy_j": "min", "quality_mass_recall": "max"}
    assert load_results(write_parts(tmp_path / "three", sweep_table.to_dict("records"), objectives=three)).objectives \
        == three
    assert load_results(sweep_dir / "results").objectives is None  # the parts alone: no sweep file
    (tmp_path / "three" / "sweep.yaml").write_text("version: 1\nbase: {workload: x.csv}\nobjectives: {cycles: up}\n")
    with pytest.raises(InputError, match=r"sweep\.yaml: field 'objectives\.cycles': Input should be 'min' or 'max'"):
        load_results(tmp_path / "three")


def test_preset_references_are_config(sweep_table):
    t = sweep_table.assign(policy_ref=sweep_table["policy.name"]).drop(columns=["policy.name"])
    assert "policy_ref" in results_from_table(t, "t").swept


def test_failed_points_split_and_resumed_duplicates_dropped(sweep_table):
    t = sweep_table.copy()
    t.loc[3, ["status", "error"]] = ["error", "SRAM too small"]
    again = t.iloc[[0]].assign(wall_s=0.5)  # two runs raced on one directory: point 0 twice
    res = results_from_table(pd.concat([again.assign(point_index=99), t], ignore_index=True), "t")
    assert len(res.points) == 15 and list(res.failed["error"]) == ["SRAM too small"]
    assert (res.points["point_id"] == t["point_id"][0]).sum() == 1
    assert res.points["wall_s"].iloc[-1] == 0.5  # the first written kept, ordered by its point_index


def fail(path) -> str:
    with pytest.raises(InputError) as info:
        load_results(path)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_empty_directory(tmp_path):
    assert re.fullmatch(r".+: no results: the directory holds no \*\.parquet parts .+", fail(tmp_path))


def test_missing_path(tmp_path):
    assert fail(tmp_path / "nope").endswith("nope: does not exist")


def test_truncated_part(tmp_path, sweep_table):
    write_parts(tmp_path, sweep_table.to_dict("records"))
    part = tmp_path / "results" / "part-00001.parquet"
    part.write_bytes(part.read_bytes()[:200])
    assert re.fullmatch(r".+part-00001\.parquet: not a readable Parquet file \(\w+\); a part still being "
                        r"written or truncated by a crash\? Re-run or resume the sweep", fail(tmp_path))


def test_foreign_table(tmp_path):
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "x.parquet")
    assert re.search(r"x\.parquet: not an accelsim results table: missing columns point_id, status, ",
                     fail(tmp_path))


def test_other_version(tmp_path, sweep_table):
    write_parts(tmp_path, sweep_table.assign(accelsim_version="0.0.1").to_dict("records"))
    assert fail(tmp_path).endswith(f"results written by accelsim 0.0.1; this is accelsim {__version__}: "
                                   "re-run the sweep with this version or install that one")


def test_no_finished_point(tmp_path, sweep_table):
    write_parts(tmp_path, sweep_table.assign(status="error", error="boom").to_dict("records"))
    assert fail(tmp_path).endswith("no finished points: all 16 failed (first error: boom)")


def test_zero_rows(tmp_path, sweep_table):
    sweep_table.iloc[:0].to_parquet(tmp_path / "part-0.parquet")
    assert fail(tmp_path).endswith("no results: the table holds no rows")


def test_a_swapped_preset_is_one_axis(sweep_table, tmp_path):
    """A sweep that swaps policy presets varies every field they differ in, but has the axes it declared:
    the report names those, and shares only what no point varies."""
    from accelsim.report.html import render

    table = sweep_table.assign(**{"policy_ref": sweep_table["policy.name"],
                                  "policy.tokens": sweep_table["policy.name"].map({"spatten": "0.3", "dense": "1.0"})})
    axes = {"policy": ["spatten", "dense"], "hw.qk.multipliers": [128, 512], "hw.topk.parallelism": [4, 16],
            "hw.dram.channels": [2, 16]}
    res = load_results(write_parts(tmp_path / "s", table.to_dict("records"), axes=axes))
    assert res.swept == ["policy_ref", "hw.qk.multipliers", "hw.topk.parallelism", "hw.dram.channels"]
    assert {"policy.name", "policy.tokens"} <= set(res.varying) - set(res.swept)
    shared = render(res)[0].split("Configuration shared by all points")[1]
    assert "hw.clock_ghz" in shared and "policy.tokens" not in shared and "policy.name" not in shared
    alone = results_from_table(table, "t")  # no sweep file: the columns that vary
    assert alone.swept == alone.varying and "policy.tokens" in alone.swept
