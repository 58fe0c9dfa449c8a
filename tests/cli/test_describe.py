"""``accelsim describe``: the stat dictionary, from a sweep's Parquet metadata or for every column family."""

import json
import re

import pandas as pd
import pytest

from accelsim.cli import main
from accelsim.sim.stats import describe, stat_dictionary


def test_families_without_a_source(capsys):
    main(["describe", "--json"])
    stats = json.loads(capsys.readouterr().out)
    assert stats["energy_static_j"] == {"unit": "J", "description": describe("energy_static_j")["description"]}
    assert stats["actions_by_<key>"]["unit"] == "action" and stats["area_by_<key>"]["unit"] == "mm2"


def test_unit_time_columns():
    assert describe("busy_by_pv")["unit"] == describe("stall_by_pv")["unit"] == "cycle"
    assert "stalled on input" in describe("stall_by_pv")["description"]
    assert "blocked on output" in describe("blocked_by_topk_value")["description"]


def test_columns_that_are_not_metrics_are_left_out():
    assert set(stat_dictionary(["point_id", "hw.qk.multipliers", "cycles", "energy_by_dram"])) == {
        "cycles", "energy_by_dram"}


@pytest.mark.parametrize(("make", "pattern"), [
    (lambda d: d / "missing", r"missing: no such file or directory"),
    (lambda d: d, r": no results here \(expected results/part-\*\.parquet\)"),
    (lambda d: (d / "x.parquet").write_text("junk") and d / "x.parquet", r"x\.parquet: not a Parquet file"),
])
def test_bad_source_one_line_exit_2(tmp_path, capsys, make, pattern):
    with pytest.raises(SystemExit) as exc:
        main(["describe", str(make(tmp_path))])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1
    assert re.search(pattern, err[0]), err[0]


def test_parquet_without_the_dictionary(tmp_path, capsys):
    pd.DataFrame({"cycles": [1.0]}).to_parquet(tmp_path / "old.parquet")
    with pytest.raises(SystemExit):
        main(["describe", str(tmp_path / "old.parquet")])
    assert "no stat dictionary in its metadata (written by an older accelsim)" in capsys.readouterr().err
