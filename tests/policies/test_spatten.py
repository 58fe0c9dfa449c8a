"""SpAtten's functional pass on small synthetic traces whose right answers are known."""

import itertools

import numpy as np
import pytest

from accelsim import api
from accelsim.config import load_hardware
from accelsim.errors import InputError
from accelsim.policies import make_plan
from accelsim.policies.common import fetched_kv_fraction
from accelsim.policies.spatten import DensePolicy, Quantization, Schedule, SpAttenPolicy, budget_tokens
from accelsim.trace.spatten_csv import read_spatten_csv
from accelsim.trace.synthetic import synthetic_trace
from tests.conftest import CSV_DENSE, CSV_PRUNED

NO_PRUNE = Schedule(enabled=False)


def decode_keys(plan):
    r = plan.requests
    return r[~r.prefill & (r["keys"] > 0)].groupby(["step", "layer"])["keys"].first()


def test_dense_policy_fetches_everything(small_trace):
    plan = make_plan(DensePolicy(), small_trace)
    r = plan.requests
    m = small_trace.meta
    assert len(r) == m.layers * m.heads * (1 + m.decode_steps)
    dec = r[~r.prefill]
    assert (dec["keys"] == dec["context"]).all() and (dec["values"] == dec["context"]).all()
    assert (r["key_bits"] == 12).all() and (r["lsb_keys"] == 0).all()
    assert len(plan.topk) == 0
    assert r["mass_recall"].min() == pytest.approx(1.0)
    assert r["out_err"].max() < 0.01  # 12-bit quantization alone


def test_cascade_token_pruning_never_returns(small_trace):
    pol = SpAttenPolicy(tokens=Schedule(unpruned=0.0, start=0.6, end=0.2), heads=NO_PRUNE)
    plan = make_plan(pol, small_trace, phases="decode")
    keys = decode_keys(plan).unstack()
    # within a step, deeper layers keep no more tokens (cascade)
    assert (np.diff(keys.to_numpy(), axis=1) <= 0).all()
    # the keep counts follow the schedule: round(ratio x context), the decode token forced in
    m = small_trace.meta
    ratios = pol.tokens.ratios(m.layers)
    n = m.prompt_len + 1
    assert keys.iloc[0].tolist() == [max(1, round(r * n)) for r in ratios]


def test_token_pruning_is_by_accumulated_importance():
    # With one layer kept at 50%, the kept keys are the ones with the most attention mass so far.
    t = synthetic_trace(layers=2, heads=2, head_dim=16, prompt_len=32, decode_steps=0, seed=5)
    pol = SpAttenPolicy(tokens=Schedule(keep=[1.0, 0.5]), heads=NO_PRUNE, values=1.0,
                        quant=Quantization(enabled=False))
    plan = make_plan(pol, t)
    r = plan.requests
    assert r[r.layer == 0]["keys"].iloc[0] == 32
    assert r[r.layer == 1]["keys"].iloc[0] == 16
    assert (plan.topk["kind"] == 1).sum() == 1


def test_head_pruning(small_trace):
    pol = SpAttenPolicy(tokens=NO_PRUNE, heads=Schedule(keep=[1.0, 1.0, 0.5, 0.25]))
    plan = make_plan(pol, small_trace, phases="decode")
    per_layer = plan.requests.groupby(["step", "layer"]).size().unstack()
    assert per_layer.iloc[0].tolist() == [4, 4, 2, 1]
    # pruned heads stay pruned: the surviving head set never grows across steps
    heads = plan.requests.groupby(["layer", "step"])["head"].apply(frozenset)
    for layer in (2, 3):
        sets = heads[layer].tolist()
        assert all(b <= a for a, b in itertools.pairwise(sets))


def test_value_pruning_keeps_ratio(small_trace):
    pol = SpAttenPolicy(tokens=NO_PRUNE, heads=NO_PRUNE, values=0.25)
    plan = make_plan(pol, small_trace, phases="decode")
    r = plan.requests
    assert (r["values"] == np.maximum(1, np.round(0.25 * r["keys"]))).all()
    assert (r["mass_recall"] <= 1 + 1e-12).all() and (r["mass_recall"] > 0.5).all()
    v = plan.topk[plan.topk.kind == 0]
    assert len(v) == len(r)


def test_progressive_quantization_threshold(small_trace):
    never = SpAttenPolicy(tokens=NO_PRUNE, heads=NO_PRUNE, quant=Quantization(threshold=0.0))
    always = SpAttenPolicy(tokens=NO_PRUNE, heads=NO_PRUNE, quant=Quantization(threshold=1.0))
    a = make_plan(never, small_trace, phases="decode").requests
    b = make_plan(always, small_trace, phases="decode").requests
    assert a["lsb_queries"].sum() == 0 and a["lsb_keys"].sum() == 0
    assert (b["lsb_queries"] == b["queries"]).all()
    assert (b["lsb_keys"] == b["keys"]).all()
    # recomputing with LSBs can only bring the output closer to full precision
    assert b["out_err"].mean() < a["out_err"].mean()


def test_gqa_fetches_once_per_group():
    t = synthetic_trace(layers=2, heads=4, kv_heads=2, head_dim=16, prompt_len=24, decode_steps=2)
    plan = make_plan(DensePolicy(), t, phases="decode")
    r = plan.requests
    fetched = r[r["keys"] > 0]
    assert sorted(fetched["head"].unique()) == [0, 2]  # first head of each group
    assert (r["qk_rows"] == r["context"]).all()  # every head still scores every key


def test_phases(small_trace):
    assert make_plan(DensePolicy(), small_trace, phases="prefill").requests["prefill"].all()
    assert not make_plan(DensePolicy(), small_trace, phases="decode").requests["prefill"].any()
    enc = synthetic_trace(layers=1, heads=2, prompt_len=8, decode_steps=0, causal=False)
    with pytest.raises(InputError, match="the trace has no decode steps"):
        make_plan(DensePolicy(), enc, phases="decode")
    with pytest.raises(InputError, match="expected one of prefill, decode, both"):
        make_plan(DensePolicy(), enc, phases="all")


def test_encoder_prefill_sees_all_keys():
    enc = synthetic_trace(layers=1, heads=2, prompt_len=8, decode_steps=0, causal=False)
    r = make_plan(DensePolicy(), enc).requests
    assert (r["qk_rows"] == 64).all()  # 8 queries x 8 keys, no causal mask


def test_csv_policies():
    pruned = read_spatten_csv(CSV_PRUNED)
    assert make_plan(SpAttenPolicy(), pruned) is pruned  # the authors' decisions, as recorded
    dense = make_plan(DensePolicy(), pruned)
    ref = read_spatten_csv(CSV_DENSE)
    assert sum(dense.dram_bytes().values()) == pytest.approx(sum(ref.dram_bytes().values()))


def test_decode_only_plan_has_no_prefill_jobs(small_trace):
    pol = SpAttenPolicy(tokens=Schedule(unpruned=0.0, start=0.5, end=0.3))
    both = make_plan(pol, small_trace)
    dec = make_plan(pol, small_trace, phases="decode")
    assert not dec.requests["prefill"].any()
    # the prefill pass still runs (its pruning shapes decode) but records no jobs
    pre = make_plan(pol, small_trace, phases="prefill")
    assert len(dec.topk) == len(both.topk) - len(pre.topk)
    assert dec.requests["keys"].sum() == both.requests.loc[~both.requests["prefill"], "keys"].sum()


BUDGET_TOLERANCE = 0.01
"""|fetched KV fraction - budget| allowed: the keep counts are rounded per layer and step (docs/policies.md)."""


@pytest.mark.parametrize("kv_heads", [4, 2])  # MHA, and GQA (the fraction is per query head)
@pytest.mark.parametrize("budget", [0.05, 0.1, 0.2, 0.5])
def test_budget_is_the_mean_fetched_kv_fraction(kv_heads, budget):
    trace = synthetic_trace(layers=8, heads=4, kv_heads=kv_heads, head_dim=32, prompt_len=96, decode_steps=6, seed=2)
    plan = make_plan(SpAttenPolicy(budget=budget), trace, phases="decode")
    assert abs(fetched_kv_fraction(plan) - budget) <= BUDGET_TOLERANCE


def test_budget_scales_the_paper_schedule():
    tokens = Schedule().ratios(10)  # 2 layers whole, then 0.9 -> 0.1
    heads = [1.0] * 10
    keep = budget_tokens(0.3, tokens, heads, 0.2)
    # one scale s for every layer, capped at 1: the shape (unpruned layers, linear slope) stays
    scale = keep[-1] / tokens[-1]
    assert keep == pytest.approx([min(1.0, scale * t) for t in tokens])
    assert sum(keep) / 10 * 1.2 / 2 == pytest.approx(0.3)


def test_budget_out_of_reach_is_refused():
    # with every token kept, V rows at 20% of K rows and no head pruning: (1 + 0.2) / 2 = 0.6
    with pytest.raises(InputError, match=r"^field 'policy\.budget': 0\.7 is more than spatten fetches keeping every "
                       r"token with values = 0\.2 and its head schedule \(0\.6\); raise policy\.values or prune "
                       r"fewer heads \(policy\.heads\)$"):
        budget_tokens(0.7, [1.0] * 4, [1.0] * 4, 0.2)


def test_budget_needs_planned_decode_steps(small_trace):
    with pytest.raises(InputError, match=r"^field 'policy\.budget': sizes the decode steps' fetched KV fraction"):
        make_plan(SpAttenPolicy(budget=0.2), small_trace, phases="prefill")
    with pytest.raises(InputError, match=r"^field 'policy\.budget': changes nothing here: a request trace replays"):
        make_plan(SpAttenPolicy(budget=0.2), read_spatten_csv(CSV_PRUNED))


def test_a_selection_of_no_token_keeps_the_best():
    # the statistical engine's threshold can pass no token of a layer at a small budget: the best
    # candidate stays (keep >= 1), where the pass used to attend an empty set and crash
    trace = synthetic_trace(layers=8, heads=8, kv_heads=2, head_dim=64, prompt_len=128, decode_steps=4, seed=0)
    hw = load_hardware("spatten", {"topk": {"engine": "statistical"}})
    plan = make_plan(SpAttenPolicy(budget=0.1), trace, phases="decode", engine=api.plan_engine(hw, replayed=False))
    assert plan.engine_record()[0] == "statistical"
    assert (plan.requests.groupby(["step", "layer"])["qk_rows"].min() >= 1).all()
