"""The fast timing path agrees with the event engine (DESIGN.md principle 3).

Tolerance: cycles within 2 % (the two differ only in event ties and in how DRAM requests from the
key and value sides interleave; the largest difference seen over these points is 0.2 %, with 392 KB
key buffers, the DRAM at its sustained rate under 16 requests in flight per channel); dynamic
traffic and energy are computed by the same code, so they match exactly.
"""

import numpy as np
import pytest

from accelsim import api
from accelsim.config import load_hardware
from accelsim.policies.spatten import SpAttenPolicy
from accelsim.sim import engine, fast, items
from accelsim.sim.fast import FastModel, _topk_job
from accelsim.sim.rules import RULES
from accelsim.trace.spatten_csv import read_spatten_csv
from accelsim.trace.synthetic import synthetic_trace
from tests.conftest import CSV_DENSE, CSV_PRUNED

CYCLES_RTOL = 0.02
# stalled-on-input and blocked-on-output cycles, as a share of the unit's held time: they move with
# the DRAM order; the largest difference seen is 6 %, ProbxV with 392 KB key buffers and 4 engines
WAIT_TOL = 0.1

# design points that move the bottleneck onto each overlap rule, from the rules' table
POINTS = [pt for rule in RULES if not rule.request_trace_only for pt in rule.points]
GPT2_ONLY = [pt for rule in RULES if rule.request_trace_only for pt in rule.points]


@pytest.fixture(scope="module")
def plans():
    syn = synthetic_trace(layers=4, heads=4, head_dim=64, prompt_len=512, decode_steps=3, seed=2)
    small = synthetic_trace(layers=4, heads=4, head_dim=32, prompt_len=96, decode_steps=6, seed=1)
    short = synthetic_trace(layers=2, heads=64, head_dim=64, prompt_len=16, decode_steps=4, seed=3)
    return {"pruned": read_spatten_csv(CSV_PRUNED), "dense": read_spatten_csv(CSV_DENSE),
            "synthetic": api.plan(SpAttenPolicy(), syn), "small": api.plan(SpAttenPolicy(), small),
            "short": api.plan(SpAttenPolicy(), short)}


def agree(plan, hw):
    ref, _ = api.simulate(hw, plan)
    fast = api.simulate_fast(hw, FastModel(plan))
    assert fast.cycles == pytest.approx(ref.cycles, rel=CYCLES_RTOL)
    assert fast.cycles >= fast.bandwidth_bound_cycles
    assert fast.dram_bytes_by == ref.dram_bytes_by
    assert fast.energy_dynamic_j == pytest.approx(ref.energy_dynamic_j, rel=1e-12) and fast.area_mm2 == ref.area_mm2
    assert fast.energy_static_j == pytest.approx(ref.energy_static_j, rel=CYCLES_RTOL)  # power x each one's time
    for unit, work in ref.busy_by.items():  # work: the same per-item cycles, whatever the schedule
        assert fast.busy_by[unit] == pytest.approx(work, rel=1e-12)
        held = work + ref.stall_by[unit] + ref.blocked_by[unit]
        assert fast.stall_by[unit] == pytest.approx(ref.stall_by[unit], abs=WAIT_TOL * held)
        assert fast.blocked_by[unit] == pytest.approx(ref.blocked_by[unit], abs=WAIT_TOL * held)
    return ref, fast


@pytest.mark.parametrize(("hw", "over"), [*POINTS, *GPT2_ONLY])
def test_agrees_on_gpt2_pruned(plans, hw, over):
    agree(plans["pruned"], load_hardware(hw, over))


@pytest.mark.parametrize("channels", [4, 16])
def test_agrees_on_gpt2_dense(plans, channels):
    ref, fast = agree(plans["dense"], load_hardware("dense", {"dram": {"channels": channels}}))
    assert fast.cycles == ref.cycles  # on the DRAM roof both are exact


@pytest.mark.parametrize("trace", ["synthetic", "small"])
@pytest.mark.parametrize(("hw", "over"), [*POINTS, ("spatten", {"sram": {"key_kb": 49.5, "value_kb": 49.5}}),
                                          ("spatten", {"topk": {"parallelism": 4}})])
def test_agrees_on_synthetic(plans, trace, hw, over):
    agree(plans[trace], load_hardware(hw, over))


@pytest.mark.parametrize("over", [None, {"dram": {"outstanding": 2}}])
def test_request_fifo_binds_on_short_requests(plans, monkeypatch, over):
    # 64 heads of 16 to 20 keys a layer: a request takes 2 or 4 key lines, so the buffer would let 16
    # allocations in flight; the RTL's request FIFO lets 9 (items.REQ_IN_FLIGHT) reach QxK ahead of
    # their requant decision, which holds back key fetches on the DRAM-bound point
    assert items.REQ_IN_FLIGHT == 9
    hw = load_hardware("spatten", over)
    ref, got = agree(plans["short"], hw)
    for module in (engine, fast):
        monkeypatch.setattr(module, "REQ_IN_FLIGHT", 10_000)
    unbounded = api.simulate(hw, plans["short"])[0].cycles
    assert api.simulate_fast(hw, FastModel(plans["short"])).cycles == pytest.approx(unbounded, rel=CYCLES_RTOL)
    assert ref.cycles > unbounded * 1.01 and got.cycles > unbounded * 1.01


def test_one_model_serves_many_points(plans):
    # the model caches per-plan facts; results must not depend on what ran before
    model = FastModel(plans["small"])
    a = api.simulate_fast(load_hardware("spatten"), model)
    api.simulate_fast(load_hardware("spatten", {"topk": {"parallelism": 2}}), model)
    assert api.simulate_fast(load_hardware("spatten"), model) == a


def test_topk_job_rule():
    # eng[2e], eng[2e + 1]: when engine e's selection stage and output stage free
    eng = np.zeros(4)
    # stage free long before the last score (t = 100): the 10 input cycles hid under Q x K
    assert _topk_job(eng, 1, 100.0, 10.0, 5.0, 0.0) == (105.0, 105.0, 0.0)
    eng[2] = 95.0  # busy until 95: the input is read from the score buffer after that
    assert _topk_job(eng, 1, 100.0, 10.0, 5.0, 0.0) == (110.0, 110.0, 0.0)
    eng[3] = 130.0  # output stage busy: the job keeps the selection stage until 130, blocked 20
    assert _topk_job(eng, 1, 100.0, 10.0, 5.0, 7.0) == (130.0, 137.0, 20.0)
    assert _topk_job(eng, 0, 100.0, 10.0, 5.0, 7.0) == (105.0, 112.0, 0.0)  # the other engine is free
