"""Statistical top-k (Spark Transformer, arXiv 2506.06644; Gemma3n ``_gaussian_topk``).

Keeps the items above θ = mean + std · Φ⁻¹(1 − k/n) (population std): one compare pass, no
sort, a variable count. The model computes θ the way the RTL does, in integers scaled by n:
select x iff ``x·n·2^F > S1·2^F + z·r``, with ``S1 = Σx``, ``r = sqrt(n·Σx² − S1²)`` (= n·std;
floored for integer scores, as the RTL's integer square root), and ``z`` = Φ⁻¹(1 − k/n) rounded
to F = ``z_frac_bits`` fraction bits and clipped to [-8, 8). k = 0 selects nothing; all-equal
scores select nothing (no item exceeds the mean).

Cycles: the sums accumulate while the scores stream in; then ``index_width + width + 1`` square
root steps, and a filter pass over the stored scores emitting the kept items in original order.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from pydantic import Field

from accelsim.topk.base import (
    Selection,
    TopKEngine,
    as_batch,
    ceil_div,
    exact_topk_mask,
    register,
)
from accelsim.topk.params import TopKParams

Z_INT_BITS = 4  # signed integer bits of z: range [-8, 8) (|Φ⁻¹(1/2**24)| = 5.3 fits)
THETA_OVERHEAD = 3  # cycles: variance, threshold product, filter start (rtl/topk/statistical.py)


class StatisticalParams(TopKParams):
    """:class:`TopKParams` plus the precision of the threshold's coefficient."""

    z_frac_bits: int = Field(8, ge=1)
    """Fraction bits of the Φ⁻¹ coefficient z (design choice: z in [-8, 8) to 1/256; |Φ⁻¹(1/1024)| = 3.1
    fits)."""


def z_coefficient(n: np.ndarray, k: np.ndarray, frac_bits: int) -> np.ndarray:
    """Φ⁻¹(1 − k/n) in fixed point with ``frac_bits`` fraction bits, clipped to [-8, 8)."""
    n = np.atleast_1d(np.asarray(n, dtype=np.int64))
    k = np.broadcast_to(np.asarray(k, dtype=np.int64), n.shape)
    lo, hi = -(1 << (Z_INT_BITS - 1 + frac_bits)), (1 << (Z_INT_BITS - 1 + frac_bits)) - 1
    inv = NormalDist().inv_cdf
    out = np.empty(n.shape, dtype=np.int64)
    for i, (nn, kk) in enumerate(zip(n.tolist(), k.tolist(), strict=True)):
        q = 1.0 - kk / nn if nn > 0 else 0.0
        if q <= 0.0:
            out[i] = lo
        elif q >= 1.0:
            out[i] = hi
        else:
            out[i] = min(hi, max(lo, round(inv(q) * (1 << frac_bits))))
    return out


def _isqrt(v: np.ndarray) -> np.ndarray:
    r = np.floor(np.sqrt(v.astype(np.float64))).astype(np.int64)
    r = np.where(r * r > v, r - 1, r)
    return np.where((r + 1) * (r + 1) <= v, r + 1, r)


def count_error(mask: np.ndarray, k: np.ndarray | int) -> np.ndarray:
    """Selected count minus k, per row."""
    return mask.sum(axis=1) - np.asarray(k)


def recall(mask: np.ndarray, scores: np.ndarray, k: np.ndarray | int) -> np.ndarray:
    """Fraction of the exact top-k (earliest index wins ties) that ``mask`` keeps, per row."""
    scores, k, _ = as_batch(scores, k)
    exact = exact_topk_mask(scores, k)
    hit = (mask & exact).sum(axis=1)
    return np.where(k > 0, hit / np.maximum(k, 1), 1.0)


@register
class Statistical(TopKEngine):
    """Gaussian threshold from the mean and std of the scores; one compare pass."""

    name = "statistical"
    rtl = "accelsim.rtl.topk.statistical"
    params_type = StatisticalParams
    params: StatisticalParams
    plan_fields = ("z_frac_bits",)  # z's rounding moves the threshold
    select_only = ("z_frac_bits",)

    def threshold_mask(self, scores: np.ndarray, k: np.ndarray | int) -> np.ndarray:
        """The items above θ, per row of ``scores`` [B, n] (NaN items absent)."""
        scores, k, valid = as_batch(scores, k)
        f = self.params.z_frac_bits
        cnt = valid.sum(axis=1)
        z = z_coefficient(np.maximum(cnt, 1), k, f)
        x = np.where(valid, scores, 0.0)
        finite = x[valid]
        if np.array_equal(finite, np.floor(finite)):
            xi = x.astype(np.int64)
            s1 = xi.sum(axis=1)
            r = _isqrt(cnt * (xi * xi).sum(axis=1) - s1 * s1)
            lhs = xi * (cnt << f)[:, None]
            rhs = (s1 << f) + z * r
        else:
            s1 = x.sum(axis=1)
            var = np.maximum(cnt * (x * x).sum(axis=1) - s1 * s1, 0.0)
            lhs = x * (cnt * 2.0**f)[:, None]
            rhs = s1 * 2.0**f + z * np.sqrt(var)
        return valid & (lhs > rhs[:, None]) & (k > 0)[:, None]

    def select(self, scores: np.ndarray, k: np.ndarray | int, rng: np.random.Generator) -> Selection:
        scores, k, valid = as_batch(scores, k)
        return Selection(self.threshold_mask(scores, k), [np.array([m], dtype=np.int32) for m in valid.sum(axis=1)])

    def passes_for_shape(self, n: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        return [np.array([m], dtype=np.int32) for m in np.asarray(n)]

    @property
    def sqrt_cycles(self) -> int:
        """Steps of the bit-serial square root: one per result bit."""
        return self.params.index_width + self.params.width + 1

    def cycles(self, n, k, pass_sizes, pass_start, pass_count) -> np.ndarray:
        n = np.asarray(n, dtype=np.int64)
        total = self.sqrt_cycles + THETA_OVERHEAD + ceil_div(n, self.params.parallelism)
        return np.where(np.asarray(k) > 0, total, 0)

    def comparisons(self, n, pass_sizes, pass_start, pass_count) -> np.ndarray:
        return np.asarray(n, dtype=np.int64)
