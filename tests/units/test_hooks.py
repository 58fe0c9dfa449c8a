"""The unit hooks beyond a pipelined stage (``accelsim.units.base``): on-chip storage priced as an SRAM
macro, DRAM requests through the DRAM server, and an input queue that back-pressures ProbxV.

The unit is the example package's ``kvwrite`` (a KV write-back unit after ProbxV with all three), loaded
from ``kvwrite-hw.yaml``'s ``plugins:``; the rules' table holds its points where the queue and the DRAM
writes bind (``unit-queue``, ``unit-dram``), which ``tests/sim/test_fast.py`` checks event == fast on.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from accelsim import api
from accelsim.config import load_hardware
from accelsim.errors import InputError
from accelsim.sim.bertcpp_profiles import profiles_from_plan
from accelsim.sim.fast import FastModel
from accelsim.sim.rules import KVWRITE
from accelsim.trace.spatten_csv import read_spatten_csv
from accelsim.units import UNITS, register
from tests.conftest import CSV_PRUNED
from tests.sim.test_fast import agree
from tests.units.test_units import BareUnit


@pytest.fixture(scope="module")
def plans(small_trace):
    from accelsim.policies.spatten import SpAttenPolicy

    return {"pruned": read_spatten_csv(CSV_PRUNED), "small": api.plan(SpAttenPolicy(), small_trace)}


def written(plan, bits: int) -> float:
    """Bytes of the new key and value rows of every request of ``plan`` at ``bits`` bits."""
    r = plan.requests
    return float((2 * r["queries"] * r["d"]).sum() * bits / 8)


@pytest.mark.smoke
def test_the_queue_holds_lines_over_an_entrys_lines():
    # an entry: one decode item's key and value rows, 2 x 64 elements; at 12 bits, 192 B = 6 lines of 32 B
    hw = load_hardware(KVWRITE)
    unit, p = UNITS["kvwrite"], hw.model_extra["kvwrite"]
    assert (p.lines, p.bits, unit.queue(p), unit.buffer(p)) == (64, 12, 10, (64, 256))
    for lines, bits, queue in ((6, 12, 1), (11, 12, 1), (12, 12, 2), (4, 8, 1), (8, 16, 1)):
        assert (
            unit.queue(load_hardware(KVWRITE, {"kvwrite": {"lines": lines, "bits": bits}}).model_extra["kvwrite"])
            == queue
        )
    with pytest.raises(InputError) as err:
        load_hardware(KVWRITE, {"kvwrite": {"lines": 5}})
    assert err.value.field == "kvwrite"
    assert "lines must hold one decode step's rows (6 lines at 12 bits), not 5" in err.value.message


def test_the_queue_back_pressures_probxv(plans):
    # one element a cycle: the unit works 2 x 64 cycles per decode item, longer than ProbxV takes one
    for lines, blocked_at_least in ((64, 5e5), (6, 5e5)):
        ref, fast = agree(plans["pruned"], load_hardware(KVWRITE, {"kvwrite": {"lanes": 1, "lines": lines}}))
        assert ref.blocked_by["pv"] == fast.blocked_by["pv"] > blocked_at_least
        assert ref.busy_by["kvwrite"] == 2 * 64 * 4608  # 4608 decode items of d = 64, one element a cycle
    # a shorter queue blocks ProbxV sooner; an unbounded one (the plain stage) never
    blocked = [
        api.simulate(load_hardware(KVWRITE, {"kvwrite": {"lanes": 2, "lines": n}}), plans["pruned"])[0].blocked_by["pv"]
        for n in (6, 12, 64, 6000)
    ]
    assert blocked == sorted(blocked, reverse=True) and blocked[0] > blocked[2] > 0
    plain = api.simulate(load_hardware("spatten"), plans["pruned"])[0]
    assert plain.blocked_by["pv"] == 0


def test_dram_writes_go_through_the_dram_server(plans):
    plan = plans["pruned"]
    ref, timeline = api.simulate(load_hardware(KVWRITE), plan)
    fast = api.simulate_fast(load_hardware(KVWRITE), FastModel(plan))
    plain = api.simulate(load_hardware("spatten"), plan)[0]
    assert ref.dram_bytes_by["kvwrite"] == fast.dram_bytes_by["kvwrite"] == written(plan, 12) == 884736
    assert ref.dram_bytes == plain.dram_bytes + written(plan, 12)
    hw = load_hardware(KVWRITE)
    assert ref.energy_by["dram"] - plain.energy_by["dram"] == pytest.approx(
        written(plan, 12) * 8 * hw.dram.pj_per_bit * 1e-12
        + (ref.energy_static_by["dram"] - plain.energy_static_by["dram"])
    )
    log = timeline.dram_frame()
    writes = log[log["kind"] == "kvwrite"]
    assert len(writes) == len(plan) and writes["bytes"].sum() == written(plan, 12)
    assert ref.busy_by["dram"] > plain.busy_by["dram"]
    # DRAM-bound, the writes' bandwidth moves the end; wider rows move it further
    narrow = load_hardware("spatten", {"dram": {"channels": 2}})
    designs = [narrow] + [
        load_hardware(KVWRITE, {"dram": {"channels": 2}, "kvwrite": {"bits": b, "lines": 8}}) for b in (8, 16)
    ]
    ends = [api.simulate(hw, plan)[0].cycles for hw in designs]
    assert ends == sorted(ends) and ends[2] > ends[0] * 1.005


def test_the_write_buffer_is_an_sram_macro(plans):
    model = FastModel(plans["small"])
    small, big = (api.simulate_fast(load_hardware(KVWRITE, {"kvwrite": {"lines": n}}), model) for n in (16, 256))
    assert 0 < small.area_by["kvwrite_buffer"] < big.area_by["kvwrite_buffer"]
    assert small.energy_by["kvwrite_buffer"] > 0 and small.energy_static_by["kvwrite_buffer"] > 0
    lines = written(plans["small"], 12) / 32
    assert small.actions_by["kvwrite_buffer_write"] == small.actions_by["kvwrite_buffer_read"] == lines
    assert small.area_mm2 == pytest.approx(sum(small.area_by.values()))


def test_the_behavioural_model_adds_the_writes_serially(plans):
    plan = plans["pruned"]
    res, layers = api.simulate_behavioural(load_hardware(KVWRITE), plan)
    plain, _ = api.simulate_behavioural(load_hardware("spatten"), plan)
    assert res.cycles == plain.cycles + res.busy_by["kvwrite"]
    # per head (a head one item of ``length`` queries): its rows, 8 elements a cycle, then bert.cpp's DRAM:
    # 32-byte transactions spread over the 16 channels; the unit's latency once per layer
    heads = profiles_from_plan(plan)
    elems = 2 * heads["length"] * heads["d"]
    txn = np.ceil(elems * 12 / 8 / 32)
    per_layer = (np.ceil(elems / 8) + np.ceil(txn / 16)).groupby(heads["layer_id"], sort=False).sum()
    assert layers["kvwrite"].tolist() == (per_layer + 3).tolist()
    assert res.dram_bytes_by["kvwrite"] == layers["kvwrite_bytes"].sum() == 32 * txn.sum()


def test_the_bank_model_refuses_unit_dram_requests(plans):
    with pytest.raises(InputError) as err:
        api.simulate(load_hardware(KVWRITE, {"dram": {"model": "bank"}}), plans["small"])
    assert err.value.field == "hardware.dram.model"
    assert err.value.message == (
        "unit 'kvwrite' issues DRAM requests, which only the bandwidth DRAM model times; use model: bandwidth, "
        "not 'bank'"
    )


@pytest.mark.parametrize(
    ("field", "value", "moved"),
    [
        ("lanes", 1, ["busy_by_kvwrite", "cycles", "blocked_by_pv"]),
        ("bits", 16, ["dram_bytes_by_kvwrite", "area_by_kvwrite", "energy_by_dram"]),
        ("lines", 6, ["area_by_kvwrite_buffer", "blocked_by_pv"]),
        ("latency", 400, ["cycles"]),
    ],
)
def test_every_knob_changes_an_output(plans, field, value, moved):
    model = FastModel(plans["small"])
    base = api.simulate_fast(load_hardware(KVWRITE), model).flat()
    row = api.simulate_fast(load_hardware(KVWRITE, {"kvwrite": {field: value}}), model).flat()
    assert [c for c in moved if row[c] != base[c]] == moved


@pytest.mark.parametrize("hook", ["dram", "queue"])
def test_a_unit_after_scoring_may_not_issue_dram_requests_or_back_pressure(hook):
    cls = type("Bad", (BareUnit,), {"name": "scoring_stage", "follows": "qk", hook: lambda self, p, *a: 1})
    message = "unit 'scoring_stage': only a unit after ProbxV (pv) may issue DRAM requests or back-pressure"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        register(cls)
    assert "scoring_stage" not in UNITS


def test_the_dram_trace_has_the_units_writes(plans, tmp_path):
    # d = 32: 96 B of new rows at 12 bits per query, 3 writes of 32 B, laid out above the KV cache, at
    # their start cycle
    plan = plans["small"]
    api.simulate(load_hardware(KVWRITE), plan, dram_trace=(tmp_path / "with.trace", "dramsim3"))
    api.simulate(load_hardware("spatten"), plan, dram_trace=(tmp_path / "plain.trace", "dramsim3"))
    lines = (tmp_path / "with.trace").read_text().splitlines()
    writes = [line.split() for line in lines if " WRITE " in line]
    reads = [line for line in lines if " READ " in line]
    plain = (tmp_path / "plain.trace").read_text().splitlines()
    assert len(writes) == 3 * plan.requests["queries"].sum() and len(reads) == len(plain)
    top = max(int(line.split()[0], 16) for line in reads)
    assert sorted(int(a, 16) for a, _, _ in writes) == list(range(top + 32, top + 32 * (len(writes) + 1), 32))
    assert [int(c) for *_, c in (line.split() for line in lines)] == sorted(int(line.split()[2]) for line in lines)


def test_a_sweep_over_every_knob_moves_its_columns(small_trace_file, tmp_path):
    import accelsim

    axes = {
        "hw.kvwrite.lanes": [1, 8],
        "hw.kvwrite.bits": [8, 16],
        "hw.kvwrite.lines": [8, 64],
        "hw.kvwrite.latency": [3, 400],
    }
    spec = {
        "version": 1,
        "name": "kvwrite",
        "timing": "fast",
        "plugins": [str(Path(KVWRITE).parent / "accelsim_example_plugins" / "kvwrite.py")],
        "base": {"hw": {"extends": "spatten", "kvwrite": {}}, "policy": "spatten", "workload": str(small_trace_file)},
        "axes": axes,
    }
    table = accelsim.sweep(spec, tmp_path / "out", jobs=1)
    assert list(table["status"]) == ["ok"] * 16
    table = table.set_index(list(axes)).sort_index()
    base = tuple(values[1] for values in axes.values())
    moved = {  # what each knob moves, from its second value to its first
        "hw.kvwrite.lanes": ("busy_by_kvwrite", "blocked_by_pv", "cycles"),
        "hw.kvwrite.bits": ("dram_bytes_by_kvwrite", "area_by_kvwrite", "energy_by_dram"),
        "hw.kvwrite.lines": ("area_by_kvwrite_buffer", "energy_by_kvwrite_buffer"),
        "hw.kvwrite.latency": ("cycles",),
    }
    for i, (knob, columns) in enumerate(moved.items()):
        other = tuple(axes[knob][0] if j == i else v for j, v in enumerate(base))
        assert all(table.loc[other, c] != table.loc[base, c] for c in columns), knob


@pytest.fixture(scope="module")
def vscale(tmp_path_factory) -> Path:
    """SpAtten with the test unit ``vscale`` (DRAM reads) after ProbxV."""
    path = tmp_path_factory.mktemp("vscale") / "vscale.yaml"
    spec = {"extends": "spatten", "plugins": [str(Path(__file__).with_name("vscale.py"))], "vscale": {}}
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.mark.parametrize("plan", ["pruned", "small"])
@pytest.mark.parametrize(
    "over",
    [
        None,
        {"vscale": {"copies": 64}},  # 8 KB a decode item: its reads stall the unit
        {"vscale": {"copies": 64, "queue": 1}, "dram": {"channels": 4}},
        {"vscale": {"lanes": 1, "queue": 2}},
    ],
)
def test_dram_reads_go_behind_the_value_fetch(plans, vscale, plan, over):
    # agree: cycles within 2 %, stalled and blocked cycles within 10 % of each unit's held time
    ref, fast = agree(plans[plan], load_hardware(vscale, over))
    assert ref.dram_bytes_by["vscale"] == fast.dram_bytes_by["vscale"] > 0


def test_a_unit_waits_for_its_reads(plans, vscale):
    plan = plans["small"]
    few, many = (api.simulate(load_hardware(vscale, {"vscale": {"copies": n}}), plan)[0] for n in (1, 64))
    assert many.stall_by["vscale"] > few.stall_by["vscale"] and many.cycles > few.cycles
    assert many.dram_bytes_by["vscale"] == 64 * few.dram_bytes_by["vscale"] > 0
