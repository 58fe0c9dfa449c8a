"""A3 candidate selection: the vectorized search equals A3's greedy heap search."""

import heapq

import numpy as np
import pytest

from accelsim.policies import make_plan
from accelsim.policies.a3 import A3Policy, a3_candidates


def greedy_partial(q: np.ndarray, k: np.ndarray, m: int) -> np.ndarray:
    """A3's search as its paper describes it: keys sorted per dimension, a max-heap (min-heap) of
    each dimension's next largest (most negative) product, ``m`` pops each."""
    n, d = k.shape
    partial = np.zeros(n)
    for sign in (1.0, -1.0):
        prod = sign * q[None, :] * k  # pop the largest of sign * product
        order = [np.argsort(-prod[:, j], kind="stable") for j in range(d)]
        ptr = [0] * d
        heap = [(-prod[order[j][0], j], j) for j in range(d)]
        heapq.heapify(heap)
        for _ in range(m):
            neg, j = heapq.heappop(heap)
            if -neg <= 0:  # only products of the right sign contribute
                break
            partial[order[j][ptr[j]]] += sign * -neg
            ptr[j] += 1
            if ptr[j] < n:
                heapq.heappush(heap, (-prod[order[j][ptr[j]], j], j))
    return partial


@pytest.mark.parametrize("seed", range(5))
def test_matches_greedy_heap_search(seed):
    rng = np.random.default_rng(seed)
    n, d, iters, thr = 24, 8, 0.5, 1.0
    q = rng.standard_normal((1, 3, d))
    k = rng.standard_normal((1, n, d))
    vis = np.ones((3, n), bool)
    keep, scored = a3_candidates(q, k, vis, iters, thr)
    m = round(iters * n)
    for c in range(3):
        partial = greedy_partial(q[0, c] / np.sqrt(d), k[0], m)
        want = partial >= partial.max() - thr
        assert (keep[0, c] == want).all()
        assert scored[0, c] == want.sum() + m


def test_plan_fetches_everything_scores_candidates(small_trace):
    plan = make_plan(A3Policy(), small_trace, phases="decode")
    r = plan.requests
    assert (r["keys"] == r["context"]).all() and (r["values"] == r["context"]).all()
    assert (r["pv_rows"] < r["context"]).any() and (r["pv_rows"] >= 1).all()
    m = np.round(0.5 * r["context"])
    assert (r["qk_rows"] == r["pv_rows"] + m).all()
    assert 0.5 < r["mass_recall"].mean() <= 1.0
