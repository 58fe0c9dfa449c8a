"""Example top-k engine ``radix``: radix select, ``radix_bits`` of the score per pass, MSB first.

Scores enter as ``width``-bit codes (each job's valid scores mapped linearly, to the nearest code, onto
``[0, 2**width - 1]``). A pass streams the candidates, ``parallelism`` per cycle, into
``2**radix_bits`` bucket counters on the next digit, then scans the counters (one per cycle) for
the bucket that holds the k-th largest code; only that bucket's items stay candidates. After
``ceil(width / radix_bits)`` passes the k-th code is known, and a filter pass streams all n scores at
the input rate to emit the k selected in index order: the codes above it and the earliest equal
ones. The whole engine is this file: its params model (``radix_bits``, settable as ``hw.topk.radix_bits``
once ``hw.topk.engine`` is ``radix``), functional model, cycle model and ``@register``.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from accelsim.topk import TopKEngine, TopKParams, register
from accelsim.topk.base import Selection, as_batch, ceil_div, segment_sum

FILTER_OVERHEAD = 1  # cycle to start the filter's read of the score buffer, as quick-select's


class RadixParams(TopKParams):
    """The shared top-k parameters plus the digit width."""

    radix_bits: int = Field(4, ge=1, le=12)
    """Score bits a pass sorts on: ``2**radix_bits`` bucket counters, scanned one per cycle (design choice:
    4, 16 counters; at most 12, a 4096-cycle scan)."""


def codes(scores: np.ndarray, valid: np.ndarray, width: int) -> np.ndarray:
    """[B, n] integer codes of each row's valid scores on ``width`` bits (absent items: -1)."""
    lo = np.where(valid, scores, np.inf).min(axis=1, keepdims=True)
    hi = np.where(valid, scores, -np.inf).max(axis=1, keepdims=True)
    span = np.where(hi > lo, hi - lo, 1.0)
    out = np.rint((np.where(valid, scores, lo) - lo) / span * ((1 << width) - 1)).astype(np.int64)
    return np.where(valid, out, -1)


def radix_select(row: np.ndarray, k: int, width: int, radix_bits: int) -> tuple[np.ndarray, list[int]]:
    """Mask of the top ``k`` codes of ``row`` (-1: absent) and the items each pass streamed, ``radix_bits``
    of the code a pass."""
    cand = row[row >= 0]
    mask = np.zeros(row.shape, bool)
    if k <= 0:
        return mask, []
    if k >= len(cand):
        return row >= 0, []
    sizes, need, top = [], k, width
    while top > 0:
        low = max(top - radix_bits, 0)
        digit = (cand >> low) & ((1 << (top - low)) - 1)
        sizes.append(len(cand))
        count = np.bincount(digit, minlength=1 << (top - low))
        above = np.cumsum(count[::-1])[::-1] - count  # items in higher buckets
        d = int(np.flatnonzero(above + count >= need).max())  # the bucket holding the need-th largest
        need -= int(above[d])
        cand, top = cand[digit == d], low
    kth = int(cand[0])
    equal = np.flatnonzero(row == kth)[:need]
    mask[row > kth] = True
    mask[equal] = True
    return mask, sizes


@register
class Radix(TopKEngine):
    """Radix select on ``width``-bit codes, then an in-order filter pass."""

    name = "radix"
    params_type = RadixParams
    params: RadixParams
    plan_fields = ("width", "radix_bits")  # the codes' width and the digits set the passes and the ties

    def select(self, scores: np.ndarray, k: np.ndarray | int, rng: np.random.Generator) -> Selection:
        scores, k, valid = as_batch(scores, k)
        c = codes(scores, valid, self.params.width)
        masks, passes = [], []
        for row, kk in zip(c, k, strict=True):
            mask, sizes = radix_select(row, int(kk), self.params.width, self.params.radix_bits)
            masks.append(mask)
            passes.append(np.array(sizes, dtype=np.int32))
        return Selection(np.array(masks).reshape(scores.shape), passes)

    def passes_for_shape(self, n: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        """Uniform codes: each pass keeps ``1 / 2**radix_bits`` of its candidates."""
        bits = self.params.radix_bits
        count = -(-self.params.width // bits)
        return [np.maximum(m >> (bits * np.arange(count)), 1).astype(np.int32) for m in np.asarray(n)]

    def cycles(self, n, k, pass_sizes, pass_start, pass_count) -> np.ndarray:
        per_pass = ceil_div(pass_sizes, self.params.parallelism) + (1 << self.params.radix_bits)
        return (
            segment_sum(per_pass, pass_start, pass_count) + ceil_div(n, self.params.input_parallelism) + FILTER_OVERHEAD
        )

    def comparisons(self, n, pass_sizes, pass_start, pass_count) -> np.ndarray:
        return segment_sum(np.asarray(pass_sizes, np.int64), pass_start, pass_count) + np.asarray(n, np.int64)
