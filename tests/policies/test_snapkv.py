"""SnapKV: the window's pooled votes choose the prompt rows once; generated rows are all kept."""

import numpy as np
import pytest

from accelsim.policies import make_plan
from accelsim.policies.snapkv import SnapKVPolicy
from tests.policies.traces import probs, scalar_trace

# 12-token prompt, 2 decode steps. With unit queries every window query's attention to row j is
# proportional to exp(key_j), so the votes rank rows by key.
KEYS = np.array([0, -1, 3, 0, -2, 2.5, 0, 2, -1, 0, 0, 0, 1, -1], float)


def kept_recall(plan, kept_prompt):
    r = plan.requests[~plan.requests.prefill].reset_index(drop=True)
    for s, row in r.iterrows():
        n = 13 + s
        kept = sorted(kept_prompt) + list(range(12, n))
        assert row["keys"] == len(kept)
        assert row["mass_recall"] == pytest.approx(probs(KEYS, n)[kept].sum())


def test_top_votes_plus_window():
    plan = make_plan(SnapKVPolicy(window=2, capacity=5, kernel=1), scalar_trace(KEYS, 12))
    kept_recall(plan, {2, 5, 7, 10, 11})
    # one selection per head after the prefill, over the 10 rows before the window
    assert plan.topk[["n", "k"]].values.tolist() == [[10, 3]]


def test_max_pooling_favours_neighbourhoods():
    # max-pool 3 of exp(key): rows 1, 2, 3 all see row 2's peak; ties keep the earliest rows
    plan = make_plan(SnapKVPolicy(window=2, capacity=5, kernel=3, pooling="max"), scalar_trace(KEYS, 12))
    kept_recall(plan, {1, 2, 3, 10, 11})


def test_capacity_at_least_prompt_keeps_all():
    plan = make_plan(SnapKVPolicy(capacity=64), scalar_trace(KEYS, 12), phases="decode")
    kept_recall(plan, set(range(12)))
    assert len(plan.topk) == 0


def test_budget_sets_capacity_and_caps_window():
    # budget 0.5 of 12 = 6 rows; the default window of 32 shrinks to 3
    plan = make_plan(SnapKVPolicy(budget=0.5, kernel=1), scalar_trace(KEYS, 12))
    kept_recall(plan, {2, 5, 7, 9, 10, 11})


def test_even_kernel_rejected():
    with pytest.raises(ValueError, match="kernel must be odd, not 4"):
        SnapKVPolicy(kernel=4)
