"""A3 approximate candidate selection (Ham et al., HPCA 2020).

A3 sorts each key dimension once; per query its greedy search pops, ``M`` times, the largest
remaining product ``q[d] * K[j, d]`` across dimensions (and, separately, the most negative) and
adds it to key ``j``'s partial score. Popping the per-dimension sorted lists in order yields
exactly the ``M`` globally largest (most negative) products, which is what is computed here.
Keys whose partial score is within ``threshold`` of the best become candidates: only they get
an exact score, a softmax entry and a value row. The search pops one product per cycle from its
two heaps (A3 Sec. IV), so it takes ``M`` cycles per query: it is charged as ``M`` scored key rows
on top of the candidates, which is its time on a QK array that scores one row per cycle (the A3
design point: 64 multipliers at d = 64).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from accelsim.config.policy import Bits, PolicyConfig, Ratio
from accelsim.policies.base import register
from accelsim.policies.common import block_rows, require_trace
from accelsim.policies.skipping import plan_skipping
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan


class A3Policy(PolicyConfig):
    """A3 approximate candidate selection (Ham et al., HPCA 2020, as SpAtten Sec. V-B describes it):
    every key and value is fetched; per query, a greedy search over keys pre-sorted per dimension
    accumulates the ``iterations`` largest and the ``iterations`` most negative products
    ``q[d] * K[j, d]`` into partial scores, and only keys whose partial score is within
    ``threshold`` of the best get an exact score and a value row."""

    name: Literal["a3"] = "a3"
    iterations: Ratio = 0.5
    """Greedy search steps per query as a fraction of the visible keys (assumption)."""
    threshold: float = Field(4.0, gt=0)
    """Kept keys' partial scores (scaled by 1/sqrt(d)) lie within this of the best (assumption:
    e^-4 = 1.8% of the best key's weight)."""
    bits: Bits = 8
    """K/V width (assumption: the same static 8 bits as accelsim's SpAtten BERT preset)."""


def a3_candidates(
    q: np.ndarray, k: np.ndarray, vis: np.ndarray, iterations: float, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate masks [H, c, n] and scored key rows [H, c] (candidates plus the search's work) for
    queries ``q`` [H, c, D] over keys ``k`` [H, n, D] (``vis`` [c, n]: the keys each query sees)."""
    h, c, d = q.shape
    n = k.shape[1]
    rows = block_rows(h * n * d)
    if c > rows:  # the products below are [H, c, n, D]: a block of queries at a time
        parts = [
            a3_candidates(q[:, i : i + rows], k, vis[i : i + rows], iterations, threshold) for i in range(0, c, rows)
        ]
        return tuple(np.concatenate(x, axis=1) for x in zip(*parts, strict=True))
    prod = q[:, :, None, :] * k[:, None, :, :] / np.sqrt(d)  # [H, c, n, D]
    prod = np.where(vis[None, :, :, None], prod, 0.0)
    m = np.maximum(np.round(iterations * vis.sum(axis=1)).astype(np.int64), 1)  # [c]
    flat = prod.reshape(h, c, n * d)
    order = np.sort(flat, axis=-1)  # ascending
    rank_hi = order[:, np.arange(c), n * d - m]  # M-th largest product per query [H, c]
    rank_lo = order[:, np.arange(c), m - 1]  # M-th most negative
    pos = np.where(flat >= np.maximum(rank_hi, 0.0)[..., None], flat, 0.0)
    pos = np.where(flat > 0, pos, 0.0)
    neg = np.where((flat <= np.minimum(rank_lo, 0.0)[..., None]) & (flat < 0), flat, 0.0)
    partial = (pos + neg).reshape(h, c, n, d).sum(axis=-1)
    partial = np.where(vis[None], partial, -np.inf)
    keep = (partial >= partial.max(axis=-1, keepdims=True) - threshold) & vis[None]
    return keep, keep.sum(axis=-1) + m[None, :].astype(np.float64)


@register(A3Policy)
def plan_a3(cfg: A3Policy, workload: Trace | WorkPlan, phases: str = "both") -> WorkPlan:
    """Greedy candidate search per query; exact attention on the candidates."""
    trace = require_trace(workload, "a3")

    def keep(q: np.ndarray, k: np.ndarray, p: np.ndarray, vis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return a3_candidates(q, k, vis, cfg.iterations, cfg.threshold)

    return plan_skipping(trace, phases, cfg.bits, keep, "a3")
