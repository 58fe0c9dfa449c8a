"""H2O: heavy hitters by accumulated attention plus a recent window; one eviction per step."""

import numpy as np
import pytest

from accelsim.policies import make_plan
from accelsim.policies.h2o import H2OPolicy
from accelsim.trace.synthetic import synthetic_trace
from tests.policies.traces import probs, scalar_trace


def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def reference(trace, heavy, recent):
    """Per head and step, the kept rows, by a literal set-based reading of utils_real_drop."""
    m = trace.meta
    q = trace.prefill(0)[0].astype(np.float64)
    kall = trace.kv(0)[0].astype(np.float64)
    dq = trace.decode(0)[0].astype(np.float64)
    t = m.prompt_len
    out = []
    for h in range(m.heads):
        kh = kall[h // m.group]
        acc = np.zeros(t + m.decode_steps)
        for i in range(t):
            acc[: i + 1] += softmax(kh[: i + 1] @ q[h, i] / np.sqrt(m.head_dim))

        def evict(cache, n, acc=acc):
            old = sorted(j for j in cache if j < n - recent)
            if len(old) <= heavy:
                return cache
            keep = sorted(old, key=lambda j: (-acc[j], j))[:heavy]
            return set(keep) | {j for j in cache if j >= n - recent}

        cache = evict(set(range(t)), t)
        steps = []
        for s in range(m.decode_steps):
            n = t + s + 1
            cache.add(n - 1)
            idx = sorted(cache)
            steps.append(idx)
            acc[idx] += softmax(kh[idx] @ dq[s, h] / np.sqrt(m.head_dim))
            cache = evict(cache, n)
        out.append(steps)
    return out


def test_evicts_lowest_accumulated_score():
    # Prompt of 8 with heavy = recent = 2: tokens 0 (score 5) and 4 (score 3) are the heavy hitters.
    keys = np.array([5, -5, 0, 0, 3, -5, 0, 0, 1, -1, 2], float)
    plan = make_plan(H2OPolicy(heavy_ratio=0.25, recent_ratio=0.25), scalar_trace(keys, 8))
    r = plan.requests[~plan.requests.prefill].reset_index(drop=True)
    # step 0 attends {0,4,6,7,8} and evicts 6; step 1 attends {0,4,7,8,9} and evicts 7; step 2 evicts 8
    expected = [[0, 4, 6, 7, 8], [0, 4, 7, 8, 9], [0, 4, 8, 9, 10]]
    for s, kept in enumerate(expected):
        assert r["keys"].iat[s] == 5
        assert r["mass_recall"].iat[s] == pytest.approx(probs(keys, 9 + s)[kept].sum())
    # one selection after the prefill and one eviction per step, each over heavy + 1 candidates
    assert plan.topk["n"].tolist() == [6, 3, 3, 3] and plan.topk["k"].tolist() == [2, 2, 2, 2]


@pytest.mark.parametrize("kv_heads", [2, 1])
def test_matches_set_based_reference(kv_heads):
    trace = synthetic_trace(layers=1, heads=2, kv_heads=kv_heads, head_dim=16, prompt_len=40, decode_steps=8,
                            seed=3)
    plan = make_plan(H2OPolicy(budget=0.3), trace, phases="decode")
    r = plan.requests
    ref = reference(trace, heavy=6, recent=6)
    k, q = trace.kv(0)[0].astype(np.float64), trace.decode(0)[0].astype(np.float64)
    for _, row in r.iterrows():
        h, step = row["head"], row["step"]
        kept = ref[h][step]
        p = softmax(k[h // trace.meta.group, : 41 + step] @ q[step, h] / 4.0)
        assert row["pv_rows"] == len(kept)
        assert row["mass_recall"] == pytest.approx(p[kept].sum())
