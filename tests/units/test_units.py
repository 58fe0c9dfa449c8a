"""Plug-in hardware units (``accelsim.units``): the ``hw.<unit>`` block, both timing engines and the
behavioural model, cost, result rows and reports, registration.

Two units, one at each place: the example package's ``outquant`` (after ProbxV) and this folder's
``probquant`` (after scoring), both loaded from a hardware YAML's ``plugins:``.
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
from accelsim.report.figures import energy_breakdown, latency_breakdown
from accelsim.sim.bertcpp_profiles import profiles_from_plan
from accelsim.sim.fast import FastModel
from accelsim.sim.rules import OUTQUANT
from accelsim.sim.stats import describe
from accelsim.trace.spatten_csv import read_spatten_csv
from accelsim.units import PLACES, UNITS, Unit, register, stages
from tests.conftest import CSV_PRUNED, cli
from tests.sim.test_fast import agree

PROBQUANT = Path(__file__).with_name("probquant.py")


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> Path:
    """A hardware YAML with both test units at their defaults."""
    path = tmp_path_factory.mktemp("units") / "both.yaml"
    spec = {"extends": OUTQUANT, "plugins": [str(PROBQUANT)], "name": "both", "probquant": {}}
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.fixture(scope="module")
def plans(small_trace):
    from accelsim.policies.spatten import SpAttenPolicy

    return {"pruned": read_spatten_csv(CSV_PRUNED), "small": api.plan(SpAttenPolicy(), small_trace)}


def test_the_block_is_the_units_params(both):
    hw = load_hardware(both)
    assert [(u.name, u.follows) for u, _ in stages(hw)] == [("probquant", "qk"), ("outquant", "pv")]
    assert [u.follows for u, _ in stages(hw)] == sorted((u.follows for u, _ in stages(hw)), key=PLACES.index)
    out = hw.model_extra["outquant"]
    assert out == UNITS["outquant"].params() and hw.model_dump()["outquant"] == out.model_dump()
    # a design without the block has no unit, and dumps as before
    assert stages(load_hardware("spatten")) == () and "outquant" not in load_hardware("spatten").model_dump()
    assert load_hardware(both, {"outquant": {"lanes": 2}}).model_extra["outquant"].lanes == 2


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"outquant": {"lanes": 0}}, "outquant.lanes", "Input should be greater than 0, got 0"),
        ({"outquant": {"lanez": 1}}, "outquant.lanez", "unknown field; expected one of: lanes, bits, latency, got 1"),
        ({"outquant": {"bits": 8.5}}, "outquant.bits", "Input should be a valid integer, got 8.5"),
    ],
)
def test_a_bad_unit_field_names_its_path(both, over, field, message):
    with pytest.raises(InputError) as err:
        load_hardware(both, over)
    assert err.value.field == field and err.value.message.startswith(message)


def test_an_unknown_block_lists_fields_and_units(both):
    load_hardware(both)  # registers both units
    with pytest.raises(InputError) as err:
        load_hardware("spatten", {"outqant": {}})
    assert err.value.field == "outqant"
    assert re.fullmatch(r"unknown field; expected one of: version, .*, dram, or a unit \((.*)\)", err.value.message)
    assert {"outquant", "probquant"} <= set(re.search(r"unit \((.*)\)", err.value.message)[1].split(", "))


@pytest.mark.parametrize("plan", ["pruned", "small"])
@pytest.mark.parametrize("over", [None, {"probquant": {"lanes": 2}}, {"outquant": {"lanes": 1, "latency": 400}}])
def test_event_and_fast_time_the_units_alike(plans, both, plan, over):
    hw = load_hardware(both, over)
    ref, fast = agree(plans[plan], hw)
    for unit, _ in stages(hw):
        assert ref.busy_by[unit.name] == fast.busy_by[unit.name] > 0
        assert ref.stall_by[unit.name] == fast.stall_by[unit.name] == ref.blocked_by[unit.name] == 0


def test_a_unit_at_scoring_can_be_the_bottleneck(plans, both):
    # two probabilities a cycle: probquant works longer than any built-in unit and sets the pace
    hw = load_hardware(both, {"probquant": {"lanes": 2}})
    ref, _ = api.simulate(hw, plans["pruned"])
    assert max(ref.busy_by, key=ref.busy_by.get) == "probquant"
    assert ref.cycles >= ref.busy_by["probquant"] > api.simulate(load_hardware("spatten"), plans["pruned"])[0].cycles


def knob_values(unit: Unit) -> list[tuple[str, object]]:
    """Each field of ``unit``'s params, at a value other than its default."""
    defaults = unit.params()
    return [(name, 2 * getattr(defaults, name) or 1) for name in type(defaults).model_fields]


@pytest.mark.parametrize("name", ["outquant", "probquant"])
def test_every_knob_changes_an_output(plans, both, name):
    hw = load_hardware(both)
    model = FastModel(plans["small"])
    base = api.simulate_fast(hw, model).flat()
    for field, value in knob_values(UNITS[name]):
        row = api.simulate_fast(load_hardware(both, {name: {field: value}}), model).flat()
        changed = [k for k in base if isinstance(base[k], float) and row[k] != base[k]]
        assert changed, f"{name}.{field} = {value} changed no output"


def test_rows_carry_the_units_columns(plans, both):
    hw = load_hardware(both)
    row = api.simulate_fast(hw, FastModel(plans["small"])).flat()
    plain = api.simulate_fast(load_hardware("spatten"), FastModel(plans["small"])).flat()
    for name, action in (("outquant", "elem"), ("probquant", "score")):
        cols = [
            f"{p}_{name}" for p in ("busy_by", "stall_by", "blocked_by", "energy_by", "energy_static_by", "area_by")
        ] + [f"actions_by_{name}_{action}"]
        assert all(row[c] >= 0 and describe(c) is not None for c in cols)
        assert row[f"area_by_{name}"] > 0 and row[f"energy_by_{name}"] > 0
    assert set(row) - set(plain) == {c for c in row if "outquant" in c or "probquant" in c}
    assert row["area_mm2"] == pytest.approx(plain["area_mm2"] + row["area_by_outquant"] + row["area_by_probquant"])


def test_reports_list_the_units(plans, both):
    import pandas as pd

    rows = pd.DataFrame([api.simulate_fast(load_hardware(both), FastModel(plans["small"])).flat()])
    rows["label"] = "both"
    names = {t.name for t in latency_breakdown(rows, []).data} | {t.name for t in energy_breakdown(rows, []).data}
    assert any("outquant" in n for n in names) and any("probquant" in n for n in names)


def test_the_behavioural_model_adds_each_unit_serially(plans, both):
    hw = load_hardware(both)
    with_units, layers = api.simulate_behavioural(hw, plans["pruned"])
    plain, _ = api.simulate_behavioural(load_hardware("spatten"), plans["pruned"])
    added = with_units.busy_by["outquant"] + with_units.busy_by["probquant"]
    assert with_units.cycles == plain.cycles + added
    # per layer: the unit's cycles on each head (a head's L queries x D outputs, 8 a cycle) and its latency once
    heads = profiles_from_plan(plans["pruned"])
    per_head = np.ceil(heads["length"] * heads["d"] / 8).groupby(heads["layer_id"], sort=False).sum()
    assert layers["outquant"].tolist() == (per_head + 3).tolist()


class BareUnit(Unit):
    """A unit whose name, place and hooks each case sets."""

    def cycles(self, p, work):
        return work.queries

    def latency(self, p):
        return 0

    def cost(self, p, pricer):
        raise NotImplementedError

    def actions(self, p, counts):
        return {}


@pytest.mark.parametrize(
    ("name", "follows", "message"),
    [
        ("qk", "pv", "unit name must be an identifier other than a built-in unit's, not 'qk'"),
        ("sram_key", "pv", "unit name must be an identifier other than a built-in unit's, not 'sram_key'"),
        ("fill", "pv", "unit name must be an identifier other than a built-in unit's, not 'fill'"),
        ("out-quant", "pv", "unit name must be an identifier other than a built-in unit's, not 'out-quant'"),
        ("later", "dram", "unit 'later': follows must be one of qk, pv, not 'dram'"),
    ],
)
def test_register_refuses_a_bad_unit(name, follows, message):
    cls = type("Bad", (BareUnit,), {"name": name, "follows": follows})
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        register(cls)
    assert name not in UNITS


def test_the_cli_names_a_bad_unit_field_on_one_line(small_trace_file):
    proc = cli("run", "-w", small_trace_file, "--hw", OUTQUANT, "--set", "hw.outquant.lanes=0")
    assert proc.returncode == 2
    assert proc.stderr == (
        f"accelsim: error: {OUTQUANT} with --set overrides: field 'outquant.lanes': Input should be greater than 0, "
        "got 0\n"
    )
