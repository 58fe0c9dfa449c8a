"""Sorting-network top-k: a bitonic sorter of width P, then bitonic merge passes.

Scores stream through a width-P bitonic sorting network into sorted runs of P. A bitonic sorter
of width P is built from sorters of width P/2, and the network taps its output after each level:
a job of n <= P items leaves after ``L(L+1)/2`` stages, ``L = ceil(log2 min(n, P))`` (a design
choice: one output mux per level, so short jobs do not pay the full depth). Each merge pass
streams all runs, P items per cycle, through a width-P bitonic merger (``log2 P + 1`` stages)
that merges runs pairwise; merged runs are cut to k items. After ``ceil(log2 ceil(n/P))``
passes one run of k remains and drains in ``ceil(k/P)`` cycles. The work depends only on
(n, k, P). This is the Batcher-sorter baseline of SpAtten Sec. V-E (Fig. 18).
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
)


def _log2_ceil(x: int) -> int:
    return max(0, (int(x) - 1).bit_length())


def merge_items(n: np.ndarray, k: np.ndarray, p: int) -> list[np.ndarray]:
    """Items each merge pass streams, per level: zero where a job needs no such pass.

    A level-j run covers ``P * 2**j`` items before it is cut to k.
    """
    n = np.asarray(n, dtype=np.int64)
    k = np.asarray(k, dtype=np.int64)
    levels = np.array([_log2_ceil(r) for r in ceil_div(n, p).tolist()], dtype=np.int64)
    out = []
    for j in range(int(levels.max(initial=0))):
        run = p << j
        items = (n // run) * np.minimum(run, k) + np.minimum(n % run, k)
        out.append(np.where(levels > j, items, 0))
    return out


@register
class Sorter(TopKEngine):
    """Bitonic sort of P-item runs, then pairwise merge passes truncated to k.

    The merge schedule depends on P, so ``passes`` records only the job size ``[n]``; the cycle
    model derives the passes for its own parallelism.
    """

    name = "sorter"

    def select(self, scores: np.ndarray, k: np.ndarray | int,
               rng: np.random.Generator) -> Selection:
        scores, k, valid = as_batch(scores, k)
        return Selection(exact_topk_mask(scores, k),
                         [np.array([m], dtype=np.int32) for m in valid.sum(axis=1)])

    def passes_for_shape(self, n: np.ndarray, k: np.ndarray,
                         rng: np.random.Generator) -> list[np.ndarray]:
        return [np.array([m], dtype=np.int32) for m in np.asarray(n)]

    def cycles(self, n, k, pass_sizes, pass_start, pass_count) -> np.ndarray:
        p = self.params.parallelism
        n = np.asarray(n, dtype=np.int64)
        stages = _log2_ceil(p)
        levels = np.array([_log2_ceil(x) for x in np.minimum(n, p).tolist()], dtype=np.int64)
        total = levels * (levels + 1) // 2 + ceil_div(k, p)
        for items in merge_items(n, k, p):
            total = total + np.where(items > 0, ceil_div(items, p) + stages + 1, 0)
        return total

    def comparisons(self, n, pass_sizes, pass_start, pass_count) -> np.ndarray:
        p = self.params.parallelism
        n = np.asarray(n, dtype=np.int64)
        stages = _log2_ceil(p)
        # a width-P bitonic sorter has P/2 comparators per stage; its merger has L + 1 stages;
        # without k the merge passes are bounded by streaming all n items at every level
        half = p // 2 or 1
        merges = sum(ceil_div(items, p) for items in merge_items(n, n, p))
        return (ceil_div(n, p) * half * (stages * (stages + 1) // 2)
                + merges * half * (stages + 1))
