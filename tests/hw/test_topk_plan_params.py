"""hw.topk.pivot_seed and hw.topk.z_frac_bits reach phase 1 when the plan is built with the
hardware's engine params (``make_plan(..., topk=topk_params(hw))``) and change its outputs."""

import pytest

from accelsim.config import load_hardware
from accelsim.hw.units import topk_params
from accelsim.policies import make_plan
from accelsim.policies.common import ENGINE_PARAMS
from accelsim.policies.spatten import SpAttenPolicy
from accelsim.sim.items import job_cycles, topk_engine
from accelsim.trace.synthetic import synthetic_trace


@pytest.fixture(scope="module")
def trace():
    return synthetic_trace(layers=2, heads=2, head_dim=32, prompt_len=64, decode_steps=4, seed=3)


def plan(trace, engine, **topk):
    hw = load_hardware("spatten", {"topk": {"engine": engine, **topk}})
    return hw, make_plan(SpAttenPolicy(engine=engine), trace, topk=topk_params(hw))


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
    assert ENGINE_PARAMS.get() is None  # reset after planning


def test_z_frac_bits_changes_the_statistical_selection(trace):
    _, fine = plan(trace, "statistical", z_frac_bits=8)
    _, coarse = plan(trace, "statistical", z_frac_bits=1)
    assert fine.requests["mass_recall"].mean() != coarse.requests["mass_recall"].mean()
    assert int(fine.requests["pv_rows"].sum()) != int(coarse.requests["pv_rows"].sum())
