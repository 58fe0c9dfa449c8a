"""hw.topk.pivot_seed and hw.topk.z_frac_bits reach phase 1, which selects with the hardware's engine
(``make_plan(..., engine=plan_engine(hw))``), and change its outputs; the plan records that engine
and phase 2 refuses hardware with another."""

import pytest

from accelsim import api
from accelsim.config import load_hardware, load_policy
from accelsim.errors import InputError
from accelsim.policies import make_plan
from accelsim.policies.common import ENGINE
from accelsim.policies.spatten import SpAttenPolicy
from accelsim.sim.fast import FastModel
from accelsim.sim.items import job_cycles, topk_engine
from accelsim.trace.synthetic import synthetic_trace


@pytest.fixture(scope="module")
def trace():
    return synthetic_trace(layers=2, heads=2, head_dim=32, prompt_len=64, decode_steps=4, seed=3)


def plan(trace, engine, **topk):
    hw = load_hardware("spatten", {"topk": {"engine": engine, **topk}})
    return hw, make_plan(SpAttenPolicy(), trace, engine=api.plan_engine(hw, replayed=False))


def test_pivot_seed_changes_the_quickselect_passes_and_cycles(trace):
    cycles = {}
    for seed in (0xACE1, 0x1234):
        hw, wp = plan(trace, "quickselect", pivot_seed=seed)
        _, selection, _ = job_cycles(wp, topk_engine(hw), hw.topk.jobs_in_flight)
        cycles[seed] = (int(wp.pass_sizes.sum()), int(selection.sum()))
    assert cycles[0xACE1] != cycles[0x1234]
    assert cycles[0xACE1] == (1379, 403) and cycles[0x1234] == (1773, 433)
    # the default seed plans as before: make_plan without params
    assert int(make_plan(SpAttenPolicy(), trace).pass_sizes.sum()) == 1379
    assert ENGINE.get() is None  # reset after planning


def test_z_frac_bits_changes_the_statistical_selection(trace):
    _, fine = plan(trace, "statistical", z_frac_bits=8)
    _, coarse = plan(trace, "statistical", z_frac_bits=1)
    assert fine.requests["mass_recall"].mean() != coarse.requests["mass_recall"].mean()
    assert int(fine.requests["pv_rows"].sum()) != int(coarse.requests["pv_rows"].sum())


def test_the_plan_records_the_engine_that_drew_its_passes(trace):
    hw, wp = plan(trace, "statistical", z_frac_bits=6)
    assert wp.engine_record() == ("statistical", {"z_frac_bits": 6})
    assert api.simulate(hw, wp)[0].cycles > 0
    assert make_plan(SpAttenPolicy(), trace).engine_record() == ("quickselect", {"pivot_seed": 0xACE1})


@pytest.mark.parametrize(("topk", "field", "message"), [
    ({"engine": "quickselect"}, "hw.topk.engine",
     "is 'quickselect' but the plan's top-k passes were drawn by 'statistical': plan it with this hardware's "
     "engine (api.plan_engine)"),
    ({"engine": "statistical", "z_frac_bits": 8}, "hw.topk.z_frac_bits",
     "is 8 but the plan's top-k passes were drawn with z_frac_bits = 6: plan it with this hardware's engine "
     "(api.plan_engine)"),
])
def test_another_engine_cannot_time_the_plan(trace, topk, field, message):
    _, wp = plan(trace, "statistical", z_frac_bits=6)
    with pytest.raises(InputError) as err:
        api.simulate(load_hardware("spatten", {"topk": topk}), wp)
    assert (err.value.field, err.value.message) == (field, message)


def test_the_batched_fast_path_checks_each_point(trace):
    # one kernel call for the chunk, each point checked alone: the other engine is an error in its place
    hw, wp = plan(trace, "statistical", z_frac_bits=6)
    other = load_hardware("spatten", {"topk": {"engine": "quickselect"}})
    model = FastModel(wp)
    ok, bad = api.simulate_fast_many([hw, other], model)
    assert ok == api.simulate_fast(hw, model)
    assert isinstance(bad, InputError) and (bad.field, bad.message) == (
        "hw.topk.engine", "is 'quickselect' but the plan's top-k passes were drawn by 'statistical': plan it with "
        "this hardware's engine (api.plan_engine)")


def test_a_selection_field_without_selections_is_refused(trace):
    wp = make_plan(load_policy("dense"), trace)
    with pytest.raises(InputError, match=r"^field 'hw\.topk\.pivot_seed': changes nothing here: only the quickselect "
                       r"engine's selection reads it and policy 'dense' made no top-k jobs; leave it at 44257$"):
        api.simulate(load_hardware("spatten", {"topk": {"pivot_seed": 7}}), wp)
