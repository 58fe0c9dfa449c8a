"""The shipped sweeps (sweeps/*.yaml): every search method has one, and each runs on a tiny workload."""

import re
from typing import get_args

import pytest
import yaml

from accelsim.cli import main
from accelsim.sweep import get_executor, run_sweep
from accelsim.sweep.spec import Search
from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "sweeps").glob("*.yaml"))


def test_every_search_method_has_an_example():
    shown = {yaml.safe_load(p.read_text()).get("search", {}).get("method", "grid") for p in EXAMPLES}
    assert shown == set(get_args(Search.model_fields["method"].annotation))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_on_a_tiny_workload(example, small_trace_file, tmp_path):
    if "nsga2" in example.read_text():
        pytest.importorskip("optuna")
    spec = yaml.safe_load(example.read_text())
    spec["base"]["workload"] = str(small_trace_file)  # the same sweep, on 4 layers x 4 heads
    path = tmp_path / example.name
    path.write_text(yaml.safe_dump(spec))
    with get_executor("local", jobs=1) as ex:
        out = run_sweep(path, tmp_path / "out", executor=ex)
    t = out.table
    assert out.ran == out.points == len(t) > 0 and (t["status"] == "ok").any()
    search = spec.get("search", {})
    if search.get("method") == "random":
        assert out.asked == len(t) == search["samples"]
    if search.get("method") == "nsga2":
        assert out.asked == search["trials"] >= out.points


def test_nsga2_reports_repeated_points(write_sweep, tmp_path, capsys):
    pytest.importorskip("optuna")
    # 12 trials over a grid of 4 points: at least 8 trials pick a point already run
    path = write_sweep(
        axes={"hw.topk.parallelism": [4, 8], "hw.qk.multipliers": [256, 512]},
        search={"method": "nsga2", "trials": 12, "population": 4, "seed": 0},
    )
    main(["sweep", str(path), "-o", str(tmp_path / "out"), "-j", "1"])
    m = re.search(r"12 trials, (\d) distinct points: (\d+) repeated a point already run", capsys.readouterr().out)
    assert m and int(m[1]) <= 4 and int(m[1]) + int(m[2]) == 12
