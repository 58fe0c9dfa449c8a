"""The streaming units' RTL (softmax, requant decision) under cocotb + Icarus against their numpy models.

The default run plays the edge rows and a few hundred random rows per unit, a quarter of the jobs under
flow control; the ``slow`` tier crosses parameters and plays 10,000 rows per unit.
"""

import pytest

from accelsim.hw import requant
from accelsim.hw.requant import RequantParams
from accelsim.hw.softmax import SoftmaxParams
from accelsim.rtl.topk.harness import require_tool
from accelsim.rtl.units import harness
from accelsim.rtl.units.cases import CASES
from accelsim.rtl.units.requant import RequantDecision
from accelsim.rtl.units.softmax import Softmax

SMALL = {"softmax": SoftmaxParams(parallelism=4, index_width=5), "requant": RequantParams(parallelism=4)}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    require_tool("iverilog", "iverilog")
    return tmp_path_factory.mktemp("cocotb_units")


def check(unit, params, rows, workdir, seed=0):
    case = harness.get_case(unit, params)
    report = harness.verify(case, harness.vectors(case, rows, seed), workdir, seed=seed)
    assert report.mismatches == 0, report.first_mismatch
    # the cycle models are the RTL's schedule: exact on every free-flowing job
    assert report.timed_jobs > 0 and report.cycle_mismatches == 0
    assert report.rtl_cycles_mean == report.model_cycles_mean
    return report


@pytest.mark.parametrize(("component", "params"), [(Softmax, RequantParams()), (RequantDecision, SoftmaxParams())])
def test_wrong_params_refused(component, params):
    with pytest.raises(TypeError, match=rf"^\w+ parameters must be a \w+Params, not {type(params).__name__}"):
        component(params)


def test_unknown_unit_lists_the_units():
    names = ", ".join(sorted(CASES))
    assert {"requant", "softmax"} <= set(CASES)  # the built-in ones; a plug-in unit's RTL joins them
    # str(KeyError) quotes the message
    with pytest.raises(KeyError, match=f"^\"no RTL bench for unit 'dram'; expected one of: {names}\"$"):
        harness.get_case("dram", None)


@pytest.mark.parametrize("unit", sorted(SMALL))
def test_small(unit, workdir):
    report = check(unit, SMALL[unit], 200, workdir)
    assert report.jobs > report.timed_jobs  # some jobs ran under back-pressure


def test_bench_catches_a_wrong_decision(workdir, monkeypatch):
    # a model that requantizes at max == threshold too: the edge rows tell it from the RTL
    monkeypatch.setattr(requant, "decide", lambda p, t: ((p.max(axis=1) <= t), p.max(axis=1)))
    case = harness.get_case("requant", SMALL["requant"])
    report = harness.verify(case, harness.vectors(case, 0, 0), workdir)
    assert report.mismatches > 0


def test_bench_catches_a_wrong_cycle_model(workdir, monkeypatch):
    monkeypatch.setattr(requant, "job_cycles", lambda beats: int(sum(beats)) + 2)
    case = harness.get_case("requant", SMALL["requant"])
    report = harness.verify(case, harness.vectors(case, 0, 0), workdir)
    assert report.mismatches == 0 and report.cycle_mismatches == report.timed_jobs > 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "params",
    [
        SoftmaxParams(parallelism=1, index_width=4, width=8, frac_bits=3),
        SoftmaxParams(parallelism=8, index_width=7, exp_bits=12, out_bits=8),
        SoftmaxParams(parallelism=8, index_width=10),
    ],
)
def test_softmax_matrix(params, workdir):
    check("softmax", params, 200, workdir, seed=params.parallelism)


@pytest.mark.slow
@pytest.mark.parametrize("params", [RequantParams(parallelism=1, width=4), RequantParams(parallelism=8)])
def test_requant_matrix(params, workdir):
    check("requant", params, 300, workdir, seed=params.parallelism)


@pytest.mark.slow
@pytest.mark.parametrize("unit", sorted(SMALL))
def test_ten_thousand_vectors(unit, workdir):
    params = SMALL[unit].model_copy(update={"index_width": 6}) if unit == "softmax" else SMALL[unit]
    assert check(unit, params, 10_000, workdir, seed=10).vectors >= 10_000
