"""``accelsim run --timing spatten-behavioural``, ``--bertcpp-input`` and ``accelsim bertcpp``."""

import json
from pathlib import Path

import pytest

from accelsim.timers import TIMERS
from tests.conftest import CSV_PRUNED, cli

GOLDEN = Path(__file__).parents[1] / "sim" / "data" / "bertcpp"


def test_run_behavioural_json(tmp_path):
    p = cli("run", "-w", CSV_PRUNED, "--timing", "spatten-behavioural", "--json",
            "--bertcpp-input", tmp_path / "input.csv")
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert res["timing"] == "spatten-behavioural"
    total, layers = res["breakdown"]["total"], res["breakdown"]["layers"]
    assert set(total) == {"dram", "fill", "drain", "topk"} and len(layers) == 384
    assert res["cycles"] == sum(total.values()) == sum(layer["cycles"] for layer in layers)
    assert res["busy_by"] == total and res["energy_j"] > 0 and res["gops"] > 0
    # the exported input.csv gives the same cycles through `accelsim bertcpp`
    q = cli("bertcpp", tmp_path / "input.csv", "--json")
    assert q.returncode == 0, q.stderr
    assert json.loads(q.stdout)["cycles"] == res["cycles"]


def test_run_default_timing_is_event(gpt2_run):
    res = gpt2_run[0]
    assert "breakdown" not in res and "timing" not in res
    assert set(res["busy_by"]) >= {"qk", "pv"}


def test_bertcpp_table_matches_golden():
    p = cli("bertcpp", GOLDEN / "bert-L128-k6v6.csv", "--set", "hw.topk.parallelism=4", "--format", "csv")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1].endswith(",132198")  # the binary printed "SUM 132198" for this file at 16/512/4


@pytest.fixture(scope="module")
def bad_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bad") / "input.csv"
    lines = (GOLDEN / "bert-L64-dense12.csv").read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1].replace(",64,", ",sixty-four,", 1), *lines[2:]]) + "\n")
    return path


@pytest.mark.parametrize(("args", "pattern"), [
    (["bertcpp", "{bad}"], "input.csv: field 'embedding_length_D': line 2: expected an integer, got 'sixty-four'"),
    (["bertcpp", "{golden}", "--set", "hw.dram.model=bank"], "field 'hardware.dram.model'"),
    (["bertcpp", "{golden}", "--set", "policy.values=0.5"], "field '--set': bertcpp takes hardware overrides"),
    (["run", "-w", str(CSV_PRUNED), "--timing", "bogus"], f"field '--timing': expected one of: {TIMERS.names()}, got"),
    (["run", "-w", str(CSV_PRUNED), "--timing", "spatten-behavioural", "--dram-trace", "x.trace"],
     "field '--dram-trace': the spatten-behavioural timing issues no DRAM reads"),
    (["run", "-w", str(CSV_PRUNED), "--timing", "spatten-behavioural", "--set", "hw.clock_ghz=2"],
     "field 'hardware.dram': the spatten-behavioural timing moves one 32-byte transaction"),
])
def test_bad_input_one_line_exit_2(bad_csv, args, pattern):
    p = cli(*(a.format(bad=bad_csv, golden=GOLDEN / "bert-L64-dense12.csv") for a in args))
    assert p.returncode == 2
    assert pattern in p.stderr and len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
