"""Recycled Attention: full steps refresh a top-K set that partial steps attend to."""

import numpy as np
import pytest

from accelsim.policies import make_plan
from accelsim.policies.recycled import RecycledPolicy
from tests.policies.traces import probs, scalar_trace

# 8-token prompt, 6 decode steps; budget 0.25 gives K = 2 after the prefill.
KEYS = np.array([5, -1, 3, 0, -2, 0, 1, 0, 4, -3, 0, 1, 2, 0], float)


def decode(plan):
    return plan.requests[~plan.requests.prefill].reset_index(drop=True)


def test_fixed_schedule():
    plan = make_plan(RecycledPolicy(budget=0.25, stride=3, pool=1), scalar_trace(KEYS, 8))
    r = decode(plan)
    # partial steps attend K rows + the new one; steps 2 and 5 are full; step 2 refreshes K = round(2.75)
    assert r["keys"].tolist() == [3, 3, 11, 4, 4, 14]
    # after the prefill C = {0, 2}; step 0 attends {0, 2, 8} and evicts row 2 (score 3 < 4);
    # step 1 attends {0, 8, 9}
    assert r["mass_recall"].iat[0] == pytest.approx(probs(KEYS, 9)[[0, 2, 8]].sum())
    assert r["mass_recall"].iat[1] == pytest.approx(probs(KEYS, 10)[[0, 8, 9]].sum())
    assert r["mass_recall"].iat[2] == pytest.approx(1.0)
    # refresh at step 2 keeps {0, 8, 2}; step 3 attends them and row 11
    assert r["mass_recall"].iat[3] == pytest.approx(probs(KEYS, 12)[[0, 2, 8, 11]].sum())
    # selections: after the prefill, and at the two full steps
    assert plan.topk[["n", "k"]].values.tolist() == [[8, 2], [11, 3], [14, 4]]


def test_cosine_schedule_goes_full_when_the_query_turns():
    queries = np.ones((1, 14))
    queries[0, 8 + 2:] = -1.0  # from decode step 2 on
    trace = scalar_trace(KEYS, 8, queries=queries)
    plan = make_plan(RecycledPolicy(budget=0.25, schedule="cosine", check_every=2, pool=1), trace)
    r = decode(plan)
    # checks after steps 1, 3, 5: only step 3 sees the turned query (step 5 compares with step 3)
    full = (r["keys"] == r["context"]).tolist()
    assert full == [False, False, False, True, False, False]
    plan = make_plan(RecycledPolicy(budget=0.25, schedule="cosine", check_every=2, pool=1), scalar_trace(KEYS, 8))
    assert (decode(plan)["keys"] < decode(plan)["context"]).all()
