"""SpAtten's random-pivot quick-select engine (SpAtten Sec. IV-D; TopKLatencyModel.scala).

Each partition pass streams the current candidates through two comparator arrays of P against a
random pivot into FIFO_L / FIFO_R; the pass costs ceil(size/P) + 3 cycles (3: pivot read,
comparator and zero-eliminator pipeline). Once the pivot is the k-th largest, a filter pass over
all n items emits exactly k in original order: ceil(n/P) cycles.

Ties: items equal to the pivot form their own group; if k falls inside it the pivot is the k-th
value, and the filter keeps items above it plus the earliest-indexed items equal to it.
"""

from __future__ import annotations

import numpy as np

from accelsim.topk.base import Selection, TopKEngine, register, segment_sum

PASS_OVERHEAD = 3  # cycles per pass beyond the streaming ones (TopKLatencyModel.scala)


def exact_topk_mask(scores: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Top-k mask per row; NaN items never selected; ties keep the earliest index."""
    b, n = scores.shape
    filled = np.where(np.isnan(scores), -np.inf, scores)
    order = np.argsort(-filled, axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(b)[:, None], order] = np.arange(n)[None, :]
    valid = ~np.isnan(scores)
    return (rank < np.asarray(k).reshape(-1, 1)) & valid


@register
class QuickSelect(TopKEngine):
    """Random-pivot quick-select with a final in-order filter pass."""

    name = "quickselect"

    def select(self, scores: np.ndarray, k: np.ndarray | int, rng: np.random.Generator) -> Selection:
        scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
        b, _n = scores.shape
        k = np.broadcast_to(np.asarray(k, dtype=np.int64), (b,)).copy()
        valid = ~np.isnan(scores)
        k = np.minimum(k, valid.sum(axis=1))
        passes: list[list[int]] = [[] for _ in range(b)]
        cand = valid.copy()
        target = k.copy()  # rank (1-based) of the wanted item within the candidates
        active = (k > 0) & (k < valid.sum(axis=1))  # k = 0 or k = n needs no partitioning
        while active.any():
            rows = np.flatnonzero(active)
            c = cand[rows]
            size = c.sum(axis=1)
            pick = (rng.random(len(rows)) * size).astype(np.int64)
            pos = np.argmax(np.cumsum(c, axis=1) > pick[:, None], axis=1)
            pivot = scores[rows, pos]
            s = scores[rows]
            greater = c & (s > pivot[:, None])
            equal = c & (s == pivot[:, None])
            ng, ne = greater.sum(axis=1), equal.sum(axis=1)
            t = target[rows]
            for r, sz in zip(rows, size, strict=True):
                passes[r].append(int(sz))
            go_high = t <= ng
            done = ~go_high & (t <= ng + ne)
            go_low = ~go_high & ~done
            cand[rows[go_high]] = greater[go_high]
            cand[rows[go_low]] = c[go_low] & ~greater[go_low] & ~equal[go_low]
            target[rows[go_low]] = t[go_low] - ng[go_low] - ne[go_low]
            active[rows[done]] = False
        return Selection(exact_topk_mask(scores, k), [np.asarray(p, dtype=np.int32) for p in passes])

    def passes_for_shape(self, n: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        # With distinct values the pivot's rank is uniform over the candidates, so pass sizes
        # follow from rank arithmetic alone: candidates are ranks [lo, hi), target rank k-1.
        n = np.asarray(n, dtype=np.int64)
        k = np.asarray(k, dtype=np.int64)
        lo = np.zeros_like(n)
        hi = n.copy()
        t = k - 1
        active = (k > 0) & (k < n)
        out: list[list[int]] = [[] for _ in range(len(n))]
        while active.any():
            rows = np.flatnonzero(active)
            a, z = lo[rows], hi[rows]
            p = a + (rng.random(len(rows)) * (z - a)).astype(np.int64)
            for r, sz in zip(rows, z - a, strict=True):
                out[r].append(int(sz))
            tt = t[rows]
            hi[rows] = np.where(tt < p, p, z)
            lo[rows] = np.where(tt > p, p + 1, a)
            active[rows[tt == p]] = False
        return [np.asarray(o, dtype=np.int32) for o in out]

    def cycles(self, n, k, pass_sizes, pass_start, pass_count) -> np.ndarray:
        p = self.params.parallelism
        per_pass = -(-np.asarray(pass_sizes, dtype=np.int64) // p) + PASS_OVERHEAD
        filt = -(-np.asarray(n, dtype=np.int64) // p)
        return segment_sum(per_pass, pass_start, pass_count) + filt

    def comparisons(self, n, pass_sizes, pass_start, pass_count) -> np.ndarray:
        return segment_sum(np.asarray(pass_sizes), pass_start, pass_count) + np.asarray(n)
