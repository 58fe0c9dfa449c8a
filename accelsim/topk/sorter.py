"""Sorting-network top-k: bitonic-sorted lines of P, then pairwise merge passes truncated to k.

The engine of ``accelsim.rtl.topk.sorter``, cycle for cycle. Each input beat of P scores leaves a
bitonic sorting network as one sorted line (a run of P) in the cycle of its last beat (``P / P_in`` beats
of ``input_parallelism`` scores fill a line). With ``N = ceil(n/P)`` lines
and ``K = ceil(k/P)``, merge pass j (``j < ceil(log2 N)``) takes the level-j runs in pairs; a pair covering
``c`` original lines (``2**(j+1)``, less for the last) costs ``min(c, K) + 2`` cycles: one to address
both runs, one to load the carry with the line of larger head, then one per line written (a width-2P
bitonic merger merges the next line of larger head with the carry), the merge cut to K lines. One
address cycle and ``ceil(k/P_in)`` output beats follow. The work depends only on (n, k, P). This is the
Batcher-sorter baseline of SpAtten Sec. V-E (Fig. 18).
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

PAIR_OVERHEAD = 2  # cycles per pair besides its written lines: address the runs, load the carry
DRAIN_OVERHEAD = 1  # address the result before its first output beat


def _log2_ceil(x: int) -> int:
    return max(0, (int(x) - 1).bit_length())


def merge_cycles(n: np.ndarray, k: np.ndarray, p: int) -> list[np.ndarray]:
    """Cycles of each merge pass, per level: zero where a job needs no such pass."""
    lines = ceil_div(n, p)
    klines = ceil_div(np.minimum(np.asarray(k, dtype=np.int64), n), p)
    levels = np.array([_log2_ceil(r) for r in lines.tolist()], dtype=np.int64)
    out = []
    for j in range(int(levels.max(initial=0))):
        cover = 2 << j  # original lines a level-(j+1) run covers
        full, rest = lines // cover, lines % cover
        cycles = full * (np.minimum(cover, klines) + PAIR_OVERHEAD)
        cycles = cycles + np.where(rest > 0, np.minimum(rest, klines) + PAIR_OVERHEAD, 0)
        out.append(np.where(levels > j, cycles, 0))
    return out


@register
class Sorter(TopKEngine):
    """Bitonic sort of P-item lines, then pairwise merge passes truncated to k.

    The merge schedule depends on P, so ``passes`` records only the job size ``[n]``; the cycle
    model derives the passes for its own parallelism.
    """

    name = "sorter"
    rtl = "accelsim.rtl.topk.sorter"

    def select(self, scores: np.ndarray, k: np.ndarray | int, rng: np.random.Generator) -> Selection:
        scores, k, valid = as_batch(scores, k)
        return Selection(exact_topk_mask(scores, k), [np.array([m], dtype=np.int32) for m in valid.sum(axis=1)])

    def passes_for_shape(self, n: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        return [np.array([m], dtype=np.int32) for m in np.asarray(n)]

    def cycles(self, n, k, pass_sizes, pass_start, pass_count) -> np.ndarray:
        p = self.params.parallelism
        n = np.asarray(n, dtype=np.int64)
        kk = np.minimum(np.asarray(k, dtype=np.int64), n)
        total = np.where(kk > 0, DRAIN_OVERHEAD + ceil_div(kk, self.params.input_parallelism), 0)
        for cycles in merge_cycles(n, kk, p):
            total = total + np.where(kk > 0, cycles, 0)
        return total

    def comparisons(self, n, pass_sizes, pass_start, pass_count) -> np.ndarray:
        p = self.params.parallelism
        n = np.asarray(n, dtype=np.int64)
        stages = _log2_ceil(p)
        # a width-P bitonic sorter has P/2 comparators in each of L(L+1)/2 stages; the width-2P merger P in
        # each of L + 1; without k the merge passes are bounded by keeping every line
        half = p // 2 or 1
        merges = sum(merge_cycles(n, n, p))
        return ceil_div(n, p) * half * (stages * (stages + 1) // 2) + merges * p * (stages + 1)
