"""accelsim.timers: every registered timer runs from ``accelsim.run`` and a sweep through one interface,
with the numbers of the model it wraps."""

from __future__ import annotations

import json

import pytest
import yaml

import accelsim
from accelsim import api
from accelsim.config import load_hardware, load_policy
from accelsim.errors import InputError
from accelsim.sim.fast import FastModel
from accelsim.sweep import read_results
from accelsim.timers import TIMERS, get_timer
from tests.conftest import run_cli

WRAPPED = {
    "event": lambda hw, wp: api.simulate(hw, wp)[0],
    "fast": lambda hw, wp: api.simulate_fast(hw, FastModel(wp)),
    "spatten-behavioural": lambda hw, wp: api.simulate_behavioural(hw, wp)[0],
}
"""The model each shipped timer wraps, called directly."""


@pytest.fixture(scope="module")
def plan(small_trace):
    return api.plan(load_policy("spatten"), small_trace)


def test_every_shipped_timer_is_checked():
    shipped = {n for n in TIMERS if TIMERS[n].__module__.startswith("accelsim.timers.")}
    assert shipped == set(WRAPPED)


@pytest.mark.parametrize("name", sorted(WRAPPED))
def test_a_timer_gives_the_numbers_of_the_model_it_wraps(name, plan):
    hw = load_hardware("spatten")
    timer = get_timer(name)
    timed = timer.time(hw, timer.prepare(plan), workload="small")
    assert timed.result.model_dump(exclude={"workload"}) == WRAPPED[name](hw, plan).model_dump(exclude={"workload"})
    assert (timed.dram is not None) == timer.dram_trace


@pytest.mark.parametrize("name", sorted(TIMERS))
def test_accelsim_run_takes_every_timer(name, small_trace_file, plan):
    hw = load_hardware("spatten")
    timer = get_timer(name)
    direct = timer.time(hw, timer.prepare(plan)).result
    assert accelsim.run(small_trace_file, timing=name).cycles == direct.cycles


@pytest.mark.parametrize("name", sorted(TIMERS))
def test_a_sweep_takes_every_timer(name, small_trace_file, tmp_path):
    spec = {
        "version": 1,
        "name": name,
        "timing": name,
        "axes": {"hw.topk.parallelism": [8]},
        "base": {"hw": "spatten", "policy": "spatten", "workload": str(small_trace_file)},
    }
    table = accelsim.sweep(spec, tmp_path / "out", jobs=1)
    assert list(table["status"]) == ["ok"]
    assert (
        table["cycles"].iat[0]
        == accelsim.run(small_trace_file, timing=name, overrides={"hw.topk.parallelism": 8}).cycles
    )


def test_an_unknown_timer_lists_the_registered_ones():
    with pytest.raises(InputError, match=rf"^field '--timing': expected one of: {TIMERS.names()}, got 'bogus'$"):
        get_timer("bogus")


SERIAL = '''"""Timer plug-in "serial": the event engine's units one after another, no overlap (an upper bound)."""

from accelsim import api
from accelsim.timers import Timed, Timer, register


@register
class SerialTimer(Timer):
    name = "serial"

    def time(self, hw, prepared, workload="", dram_trace=None):
        result, _ = api.simulate(hw, prepared, workload=workload)
        return Timed(result.model_copy(update={"cycles": sum(result.busy_by.values())}))
'''


def test_a_timer_plugin_file_runs_from_a_config_and_a_sweep(tmp_path, small_trace_file):
    (tmp_path / "serial.py").write_text(SERIAL)
    (tmp_path / "hw.yaml").write_text(yaml.safe_dump({"plugins": ["serial.py"], "extends": "spatten"}))
    runs = {
        t: run_cli("run", "-w", small_trace_file, "--hw", tmp_path / "hw.yaml", "--timing", t, "--json")
        for t in ("serial", "event")
    }
    assert all(p.returncode == 0 for p in runs.values()), [p.stderr for p in runs.values()]
    serial, event = (json.loads(runs[t].stdout) for t in ("serial", "event"))
    assert serial["cycles"] == sum(event["busy_by"].values()) > event["cycles"]
    spec = {
        "version": 1,
        "name": "s",
        "timing": "serial",
        "plugins": ["serial.py"],
        "base": {"hw": "spatten", "policy": "spatten", "workload": str(small_trace_file)},
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec))
    sweep = run_cli("sweep", tmp_path / "s.yaml", "-o", tmp_path / "out", "-j", "1")
    assert sweep.returncode == 0, sweep.stderr
    assert read_results(tmp_path / "out")["cycles"].tolist() == [serial["cycles"]]
