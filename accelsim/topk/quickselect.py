"""SpAtten's quick-select engine (SpAtten Sec. IV-D; TopKLatencyModel.scala), as built in RTL.

Each partition pass streams the current candidates, P per cycle, past a pivot through two
comparator arrays; a zero eliminator packs the items above the pivot into one buffer and those
below into another (SpAtten's FIFO_L / FIFO_R). The pass costs ``ceil(size/P) + 3`` cycles (pivot
address, pivot read, decision). The pivot is the candidate at position ``(u * size) >> 16`` of the
candidate buffer, where ``u`` is a 16-bit LFSR reset to ``pivot_seed`` at every job: the hardware
is deterministic, and this model reproduces its pivots. Once the pivot is the k-th largest value,
one filter pass over all n items emits exactly k in original order, at the input rate
``P_in = input_parallelism`` (the authors' filter pops ``data_fifo`` 8 per cycle while their core
partitions 16): ``ceil(n/P_in) + 1`` cycles. The scores themselves arrive ``P_in`` per cycle.

Ties: items equal to the pivot form their own group; if k falls inside it the pivot is the k-th
value, and the filter keeps items above it plus the earliest-indexed items equal to it.
"""

from __future__ import annotations

from functools import cache
from typing import ClassVar

import numpy as np
from pydantic import Field

from accelsim.topk.base import (
    Selection,
    TopKEngine,
    as_batch,
    ceil_div,
    exact_topk_mask,
    lfsr_sequence,
    register,
    segment_sum,
)
from accelsim.topk.params import TopKParams

PASS_OVERHEAD = 3  # cycles per pass beyond streaming (TopKLatencyModel.scala; RTL: same 3)
FILTER_OVERHEAD = 1  # cycle to start the filter's buffer read (rtl/topk/quickselect.py)
LFSR_PERIOD = 65535  # maximal-length 16-bit LFSR
LFSR_SEED = 0xACE1  # 16-bit Galois LFSR start state (Wikipedia "Linear-feedback shift register")


class QuickSelectParams(TopKParams):
    """:class:`TopKParams` plus the pivot LFSR's start state."""

    pivot_seed: int = Field(LFSR_SEED, ge=1, lt=1 << 16)
    """Start state of the pivot LFSR, reset at each job: nonzero, 16 bits (x^16+x^14+x^13+x^11+1;
    0xACE1 = 44257, the textbook seed)."""

    reset_fields: ClassVar[frozenset[str]] = frozenset({"pivot_seed"})


@cache
def _pivot_draws(seed: int) -> np.ndarray:
    return lfsr_sequence(seed, LFSR_PERIOD)


@register
class QuickSelect(TopKEngine):
    """Quick-select with LFSR pivots and a final in-order filter pass.

    ``select`` records, per job, the size of every partition pass; ``rng`` is unused because the
    pivots come from the engine's LFSR. ``passes_for_shape`` (jobs known only by n and k) draws
    pivot ranks from ``rng`` instead.
    """

    name = "quickselect"
    rtl = "accelsim.rtl.topk.quickselect"
    params_type = QuickSelectParams
    params: QuickSelectParams
    plan_fields = ("pivot_seed",)  # the LFSR pivots shape select's passes
    select_only = ("pivot_seed",)

    def select(self, scores: np.ndarray, k: np.ndarray | int, rng: np.random.Generator) -> Selection:
        scores, k, valid = as_batch(scores, k)
        b = scores.shape[0]
        draws = _pivot_draws(self.params.pivot_seed)
        passes: list[list[int]] = [[] for _ in range(b)]
        cand = valid.copy()
        target = k.copy()  # rank (1-based) of the wanted item within the candidates
        active = (k > 0) & (k < valid.sum(axis=1))  # k = 0 or k = n needs no partitioning
        step = 0
        while active.any():
            rows = np.flatnonzero(active)
            c = cand[rows]
            size = c.sum(axis=1)
            pick = (int(draws[step % LFSR_PERIOD]) * size) >> 16
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
            step += 1
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
        per_pass = ceil_div(pass_sizes, self.params.parallelism) + PASS_OVERHEAD
        total = segment_sum(per_pass, pass_start, pass_count) + self.output_cycles(n, k)
        return np.where(np.asarray(k) > 0, total, 0)

    def output_cycles(self, n, k) -> np.ndarray:
        """The filter pass, ``ceil(n / input_parallelism) + 1``: it reads its own copy of the
        scores at the input rate, so the quick-select core can start the next job meanwhile
        (SpAtten RTL TopK.scala: ``data_fifo`` popped ``parallelism`` = 8 per cycle)."""
        filt = ceil_div(n, self.params.input_parallelism) + FILTER_OVERHEAD
        return np.where(np.asarray(k) > 0, filt, 0)

    def comparisons(self, n, pass_sizes, pass_start, pass_count) -> np.ndarray:
        return segment_sum(np.asarray(pass_sizes), pass_start, pass_count) + np.asarray(n)
