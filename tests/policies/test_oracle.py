"""Oracle per-step top-k: keeps exactly the rows with the most attention at each step."""

import numpy as np
import pytest

from accelsim.policies import make_plan
from accelsim.policies.oracle import OraclePolicy
from tests.policies.traces import probs, scalar_trace

KEYS = np.array([4.0, -1.0, 2.0, 0.5, -2.0, 3.0, 0.0, 1.0, 2.5, -3.0, 3.5, 1.5])


def decode(plan):
    r = plan.requests
    return r[~r.prefill].reset_index(drop=True)


def test_keeps_exact_top_of_each_step():
    plan = make_plan(OraclePolicy(budget=0.25), scalar_trace(KEYS, 8))
    r = decode(plan)
    for s, row in r.iterrows():
        n = 9 + s
        budget = round(0.25 * n)
        p = probs(KEYS, n)
        assert row["values"] == budget and row["keys"] == n and row["qk_rows"] == n
        assert row["mass_recall"] == pytest.approx(np.sort(p)[::-1][:budget].sum())
        assert row["topk_recall"] == 1.0
    # one value top-k job per step, over every row
    assert plan.topk["n"].tolist() == [9, 10, 11, 12] and plan.topk["k"].tolist() == [2, 2, 3, 3]


def test_forced_sink_and_recent():
    plan = make_plan(OraclePolicy(budget=0.5, sink=1, recent=2), scalar_trace(KEYS, 8), phases="decode")
    row = decode(plan).iloc[0]  # n = 9, budget round(4.5) = 4: rows 0, 7, 8 forced, then the best other: 5
    p = probs(KEYS, 9)
    assert row["values"] == 4
    assert row["mass_recall"] == pytest.approx(p[[0, 7, 8, 5]].sum())


def test_full_budget_is_exact_attention():
    r = decode(make_plan(OraclePolicy(budget=1.0), scalar_trace(KEYS, 8)))
    assert r["mass_recall"].to_numpy() == pytest.approx(1.0)
    assert r["out_err"].max() < 1e-2  # 12-bit K/V only
