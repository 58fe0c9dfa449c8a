"""Sorting-network top-k: a bitonic sorter of width P, then bitonic merge passes.

Scores stream through a width-P bitonic sorting network (``L(L+1)/2`` pipeline stages,
``L = ceil(log2 P)``) into sorted runs of P. Each merge pass streams all runs, P items per cycle,
through a width-P bitonic merger (``L + 1`` stages) that merges runs pairwise; merged runs are cut
to k items. After ``ceil(log2 ceil(n/P))`` passes one run of k remains and drains in
``ceil(k/P)`` cycles. The work depends only on (n, k): ``passes`` records the items each merge
pass streams. This is the Batcher-sorter baseline of SpAtten Sec. V-E (Fig. 18).
"""

from __future__ import annotations

import numpy as np

from accelsim.topk.base import (
    Selection,
    TopKEngine,
    as_batch,
    ceil_div,
    exact_topk_mask,
    register,
    segment_sum,
)


def _log2_ceil(x: int) -> int:
    return max(0, (int(x) - 1).bit_length())


@register
class Sorter(TopKEngine):
    """Bitonic sort of P-item runs, then pairwise merge passes truncated to k."""

    name = "sorter"

    def select(self, scores: np.ndarray, k: np.ndarray | int,
               rng: np.random.Generator) -> Selection:
        scores, k, valid = as_batch(scores, k)
        n_valid = valid.sum(axis=1)
        return Selection(exact_topk_mask(scores, k), self.passes_for_shape(n_valid, k, rng))

    def passes_for_shape(self, n: np.ndarray, k: np.ndarray,
                         rng: np.random.Generator) -> list[np.ndarray]:
        p = self.params.parallelism
        n = np.asarray(n, dtype=np.int64)
        k = np.asarray(k, dtype=np.int64)
        levels = np.array([_log2_ceil(r) for r in ceil_div(n, p)], dtype=np.int64)
        out: list[list[int]] = [[] for _ in range(len(n))]
        for j in range(int(levels.max(initial=0))):
            run = p << j  # items a level-j run covers before truncation
            items = (n // run) * np.minimum(run, k) + np.minimum(n % run, k)
            for r in np.flatnonzero(levels > j):
                out[r].append(int(items[r]))
        return [np.asarray(o, dtype=np.int32) for o in out]

    def cycles(self, n, k, pass_sizes, pass_start, pass_count) -> np.ndarray:
        p = self.params.parallelism
        stages = _log2_ceil(p)
        per_pass = ceil_div(pass_sizes, p) + stages + 1
        sort_latency = stages * (stages + 1) // 2
        return (sort_latency + segment_sum(per_pass, pass_start, pass_count)
                + ceil_div(k, p))

    def comparisons(self, n, pass_sizes, pass_start, pass_count) -> np.ndarray:
        p = self.params.parallelism
        stages = _log2_ceil(p)
        # a width-P bitonic sorter has P/2 comparators per stage; its merger has L + 1 stages
        sort_ops = ceil_div(n, p) * (p // 2 or 1) * (stages * (stages + 1) // 2)
        merge_ops = segment_sum(ceil_div(pass_sizes, p), pass_start, pass_count) * (
            (p // 2 or 1) * (stages + 1))
        return sort_ops + merge_ops
