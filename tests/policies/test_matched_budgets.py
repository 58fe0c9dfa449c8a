"""All policies at matched KV budgets: the oracle bounds them, more budget never hurts, and every
preset plans and simulates."""

import re

import pytest

from accelsim import api
from accelsim.config import load_hardware, load_policy, policy_models, preset_names
from accelsim.errors import InputError
from accelsim.policies import POLICIES, make_plan
from accelsim.trace.synthetic import synthetic_trace
from tests.conftest import CSV_PRUNED, ROOT, cli

MINILM = ROOT / "workloads/minilm-pydoc-256.safetensors"

BUDGETED = tuple(name for name, model in policy_models().items() if "budget" in model.model_fields)
"""The policies with a KV ``budget`` field (the oracle among them)."""
BUDGETS = (0.1, 0.2, 0.5)


@pytest.fixture(scope="module")
def trace():
    return synthetic_trace(layers=2, heads=4, head_dim=32, prompt_len=80, decode_steps=8, seed=4)


@pytest.fixture(scope="module")
def plans(trace):
    return {(name, b): make_plan(load_policy(name, {"budget": b}), trace, phases="decode").requests
            for name in BUDGETED for b in BUDGETS}


@pytest.mark.parametrize("name", [n for n in BUDGETED if n != "oracle"])
@pytest.mark.parametrize("budget", BUDGETS)
def test_oracle_bounds_mass_recall(plans, name, budget):
    # per request: a policy attending at most as many rows as the oracle never holds more mass;
    # on average (policies may keep a few more rows: the new one, generated ones) neither
    oracle, other = plans[("oracle", budget)], plans[(name, budget)]
    if len(other) == len(oracle):  # spatten's pruned heads have no request to pair
        fits = other["pv_rows"] <= oracle["pv_rows"]
        assert (other["mass_recall"][fits] <= oracle["mass_recall"][fits] + 1e-12).all()
    assert other["mass_recall"].mean() <= oracle["mass_recall"].mean()


@pytest.mark.parametrize("name", BUDGETED)
def test_more_budget_never_lowers_recall(plans, name):
    recall = [plans[(name, b)]["mass_recall"].mean() for b in BUDGETS]
    assert recall == sorted(recall)
    kept = [plans[(name, b)]["pv_rows"].sum() for b in BUDGETS]
    assert kept == sorted(kept)


def test_oracle_recall_is_monotone_per_request(plans):
    lo, hi = plans[("oracle", 0.1)], plans[("oracle", 0.5)]
    assert (lo["mass_recall"] <= hi["mass_recall"] + 1e-12).all()


@pytest.mark.parametrize("name", sorted(set(preset_names("policy")) - {"spatten", "dense", "spatten-bert"}))
def test_preset_plans_and_simulates(trace, name):
    pol = load_policy(name)
    assert pol.name == name and name in POLICIES
    plan = api.plan(pol, trace)
    assert plan.meta["policy"] == name and plan.has_quality
    r = plan.requests
    assert r["mass_recall"].between(0, 1 + 1e-9).all() and r["topk_recall"].between(0, 1).all()
    # requests in (prefill, step, layer, head) order, top-k jobs after an existing request
    keys = list(zip(~r["prefill"], r["step"], r["layer"], r["head"], strict=True))
    assert keys == sorted(keys)
    assert plan.topk["request"].between(0, len(r) - 1).all()
    res, _ = api.simulate(load_hardware("spatten"), plan)
    assert res.cycles > 0 and res.energy_j > 0 and res.quality is not None
    decode = api.plan(pol, trace, phases="decode")
    res, _ = api.simulate(load_hardware("spatten"), decode)
    assert res.dram_bytes == pytest.approx(sum(decode.dram_bytes().values()))


@pytest.fixture(scope="module")
def request_trace():
    return api.load_workload(CSV_PRUNED)


@pytest.mark.parametrize("name", [n for n in BUDGETED if n != "spatten"])  # spatten replays them
def test_request_traces_are_rejected(request_trace, name):
    wp = request_trace
    with pytest.raises(InputError, match=f"policy '{name}' needs a tensor trace"):
        make_plan(load_policy(name), wp)


def test_missing_name_lists_every_policy(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("budget: 0.2\n")
    with pytest.raises(InputError, match=rf"missing; expected one of: {re.escape(', '.join(policy_models()))}$"):
        load_policy(path)


@pytest.mark.parametrize("name", ["spatten", "h2o"])
def test_a_policy_names_no_engine(name):
    # one engine choice, the hardware's (hw.topk.engine): a policy's own is refused, saying where it went
    with pytest.raises(InputError, match=r"^preset policy/\w+ with --set overrides: field 'engine': removed: a policy "
                       r"selects with the hardware's top-k engine; set hw.topk.engine instead$"):
        load_policy(name, {"engine": "statistical"})


@pytest.mark.parametrize("name", ["h2o", "a2ats", "zipcache"])
def test_seeded_plans_repeat(trace, name):
    a, b = (make_plan(load_policy(name), trace, phases="decode") for _ in range(2))
    assert a.requests.equals(b.requests) and a.topk.equals(b.topk)


DECODE_ONLY = ("oracle", "streaming", "h2o", "snapkv", "duo", "recycled", "a2ats", "zipcache")
"""Policies that decide on decode steps only (the prefill is dense)."""


@pytest.fixture(scope="module")
def encoder_trace():
    return api.load_workload(MINILM)


@pytest.mark.parametrize("name", DECODE_ONLY)
def test_a_decode_policy_on_an_encoder_trace_is_refused(encoder_trace, name):
    # it would plan MiniLM's prefill dense (recall 1.000) as if the policy had acted: refused instead
    with pytest.raises(InputError, match=rf"^field 'policy\.name': policy '{name}' decides on decode steps only and "
                       r"the trace has no decode steps \(an encoder-only model, [^)]+\): it would run dense; use a "
                       r"policy that prunes the prefill \(spatten, mnnfast, a3\) or dense$"):
        make_plan(load_policy(name), encoder_trace)


def test_a_decode_policy_without_planned_decode_steps_is_refused(trace):
    with pytest.raises(InputError, match=r"^field 'policy\.name': policy 'h2o' decides on decode steps only and "
                       r"phases is 'prefill': it would run dense;"):
        make_plan(load_policy("h2o"), trace, phases="prefill")


def test_the_cli_refuses_it_in_one_line():
    out = cli("run", "-w", str(MINILM), "--policy", "h2o", "--set", "policy.budget=0.2")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().startswith("accelsim: error: field 'policy.name': policy 'h2o' decides on decode steps")
    assert len(out.stderr.strip().splitlines()) == 1
