"""StreamingLLM keeps exactly [0:sink) ∪ [n-recent:n) at every decode step."""

import numpy as np
import pytest

from accelsim.policies import make_plan
from accelsim.policies.streaming import StreamingPolicy
from tests.policies.traces import probs, scalar_trace

KEYS = np.array([4.0, -1.0, 2.0, 0.5, -2.0, 3.0, 0.0, 1.0, 2.5, -3.0, 3.5, 1.5, 0.2, -0.4])


@pytest.mark.parametrize(("sink", "recent"), [(4, 3), (1, 1), (0, 5), (4, 20)])
def test_keeps_sinks_and_recent_window(sink, recent):
    plan = make_plan(StreamingPolicy(sink=sink, recent=recent), scalar_trace(KEYS, 10), phases="decode")
    for s, row in plan.requests.reset_index(drop=True).iterrows():
        n = 11 + s
        kept = sorted(set(range(min(sink, n))) | set(range(max(n - recent, 0), n)))
        assert row["keys"] == row["values"] == row["qk_rows"] == len(kept)
        assert row["mass_recall"] == pytest.approx(probs(KEYS, n)[kept].sum())
    assert len(plan.topk) == 0  # no selection hardware


def test_budget_sets_the_window():
    # budget 0.5 of a 10-token prompt: 5 rows = 4 sinks + 1 recent
    plan = make_plan(StreamingPolicy(budget=0.5), scalar_trace(KEYS, 10), phases="decode")
    assert (plan.requests["keys"] == 5).all()
