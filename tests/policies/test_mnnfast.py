"""MnnFast zero skipping: every key fetched and scored, value rows under the threshold skipped."""

import numpy as np
import pytest

from accelsim.policies import make_plan
from accelsim.policies.mnnfast import MnnFastPolicy
from tests.policies.traces import probs, scalar_trace

KEYS = np.array([4.0, -1.0, 2.0, 0.5, -2.0, 3.0, 0.0, 1.0, 2.5, -3.0, 3.5, 1.5])


@pytest.mark.parametrize("threshold", [0.01, 0.05, 0.2])
def test_decode_skips_rows_under_threshold(threshold):
    plan = make_plan(MnnFastPolicy(threshold=threshold, bits=16), scalar_trace(KEYS, 8))
    r = plan.requests[~plan.requests.prefill].reset_index(drop=True)
    assert len(r) == 4 and len(plan.topk) == 0
    for s, row in r.iterrows():
        n = 9 + s
        p = probs(KEYS, n)
        assert row["keys"] == n and row["values"] == n and row["qk_rows"] == n
        assert row["pv_rows"] == (p >= threshold).sum()
        assert row["mass_recall"] == pytest.approx(p[p >= threshold].sum(), rel=1e-3)


def test_prefill_counts_per_query():
    plan = make_plan(MnnFastPolicy(threshold=0.05, bits=16), scalar_trace(KEYS, 8), phases="prefill")
    (row,) = plan.requests.itertuples()
    # causal prefill: query i sees keys 0..i
    want = sum((probs(KEYS, i + 1) >= 0.05).sum() for i in range(8))
    assert row.keys == 8 and row.values == 8 and row.qk_rows == 36 and row.pv_rows == want
