"""The fixed-point softmax unit: parameters, bit-exact numpy model and cycle model (shared with its RTL,
``accelsim.rtl.units.softmax``).

Number format. A score is a signed fixed-point logit in base 2, ``t = logit * log2(e)``, ``width``
bits with ``frac_bits`` fraction bits (the dequantization scale, which SpAtten's softmax applies
first, Sec. IV-C, folds ``log2(e)`` in). A probability leaves as an unsigned Q0.``out_bits`` code,
saturated at ``2**out_bits - 1``.

Exp. ``2**-d`` for ``d >= 0`` is a table of ``2**frac_bits`` entries for the fraction of ``d``
(``round(2**exp_bits * 2**(-j / 2**frac_bits))``, ``exp_bits + 1`` bits) shifted right by its integer
part: the split of SpAtten's RTL (Softmax.scala, its disabled pipeline: two tables for the high and low
bits of the input, multiplied), with the high table a shift because the base is 2; the shift rounds
(truncating would bias the sum of a long row low by up to n/2 units).

Online sum (Milakov and Gimelshein, arXiv 1805.02867, with an integer reference). Each beat of
``parallelism`` scores raises the reference ``m`` to ``ceil(max t)`` so far; the running sum of
``2**(t - m)`` is shifted right by the rise (an integer, so a shift) and the beat's exps are added.
One pass over the row therefore yields ``m`` and the sum; the row waits in a buffer meanwhile.

Output. A divider array makes ``r = floor(2**K / sum)`` (``K = exp_bits + out_bits + 1``,
``out_bits + 2`` restoring stages, all in one cycle), then each score leaves as ``(e * r) >> (K -
out_bits)``, rounded, with ``e`` recomputed from the buffered score and the final ``m``.

Error against the float softmax of the same quantized logits (``benchmarks/softmax_error.py``, 10,000
rows of 1 to 1024 logits): at most 2.2 output steps (2**-12) absolute, 0.13 steps on average, and at
most 1.4 % relative for probabilities of 2**-6 or more; the bound held by the tests is ``ERROR_BOUND``.

Timing. Three row buffers and three stages, a row in each: the input side loads a row (one beat a
cycle), the divider then takes ``DIV_CYCLES`` over it, and the output side emits it (one beat a cycle);
a row's load waits for the buffer the row three before it emptied. :func:`job_cycles` is that schedule,
exact against the RTL; back to back, rows of ``B`` beats leave every ``B`` cycles, ``parallelism``
scores a cycle as SpAtten's (:func:`occupancy`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

DIV_CYCLES = 1  # the reciprocal's restoring stages are one combinational array: a cycle per row


class SoftmaxParams(BaseModel):
    """Parameters of the softmax unit, shared by its models and its RTL; keyword arguments only,
    frozen, equal when every field is equal.

    Raises
    ------
    pydantic.ValidationError
        Every field out of range, and ``frac_bits >= width`` or a parallelism that is not a power of
        two or exceeds ``max_n``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    parallelism: int = Field(8, ge=1, le=64)
    """Scores per cycle (SpAtten RTL SpAttenConfig: numSoftMaxUnit = 512 multipliers / D 64 = 8);
    a power of two."""
    width: int = Field(12, ge=4, le=24)
    """Score width in bits (SpAtten RTL SpAttenConfig: widthQuantValue = 12)."""
    frac_bits: int = Field(7, ge=1, le=12)
    """Fraction bits of a score (design choice: 1/128 of a bit of exponent, |t| < 16, i.e. logits
    within +-11.1)."""
    exp_bits: int = Field(16, ge=4, le=24)
    """Fraction bits of an exp (design choice: 2**-16, well under the output's 2**-12 step)."""
    out_bits: int = Field(12, ge=2, le=16)
    """Fraction bits of an output probability (SpAtten RTL: 12-bit fixed point, genFix)."""
    index_width: int = Field(10, ge=1, le=16)
    """Log2 of the longest row, ``max_n`` (SpAtten Sec. IV-D: n = 1024 evaluation point)."""

    @model_validator(mode="after")
    def _check(self) -> SoftmaxParams:
        errors = []
        if self.frac_bits >= self.width:
            errors.append(f"frac_bits must be below width = {self.width}, not {self.frac_bits}")
        if self.parallelism & (self.parallelism - 1):
            errors.append(f"parallelism must be a power of two, not {self.parallelism}")
        if self.parallelism > self.max_n:
            errors.append(f"parallelism must not exceed max_n = {self.max_n}, not {self.parallelism}")
        if errors:
            raise ValueError("; ".join(errors))
        return self

    def as_dict(self) -> dict[str, int]:
        """Every field by name (the key of the RTL cost tables)."""
        return self.model_dump()

    @property
    def max_n(self) -> int:
        return 1 << self.index_width

    @property
    def lines(self) -> int:
        """Buffer lines per row: ``max_n / parallelism``."""
        return self.max_n // self.parallelism

    @property
    def ref_bits(self) -> int:
        """Signed bits of the integer reference ``m`` (``ceil`` of a score)."""
        return self.width - self.frac_bits + 1

    @property
    def sum_bits(self) -> int:
        """Bits of the running sum: ``max_n`` exps of at most ``2**exp_bits``."""
        return self.exp_bits + 1 + self.index_width

    @property
    def recip_shift(self) -> int:
        """``K``: the reciprocal is ``floor(2**K / sum)``."""
        return self.exp_bits + self.out_bits + 1

    @property
    def recip_bits(self) -> int:
        """Quotient bits (divider stages): ``sum > 2**(exp_bits - 1)`` bounds ``r < 2**(out_bits + 2)``."""
        return self.out_bits + 2

    def exp_table(self) -> np.ndarray:
        """``2**-j/2**frac_bits`` for each fraction ``j``, as ``exp_bits`` fraction bits."""
        j = np.arange(1 << self.frac_bits)
        return np.round(2.0 ** (self.exp_bits - j / (1 << self.frac_bits))).astype(np.int64)


def quantize_logits(logits: np.ndarray, params: SoftmaxParams) -> np.ndarray:
    """Score codes of natural-log ``logits``: ``round(logit * log2(e) * 2**frac_bits)``, saturated."""
    lo, hi = -(1 << (params.width - 1)), (1 << (params.width - 1)) - 1
    return np.clip(np.round(np.asarray(logits) * math.log2(math.e) * (1 << params.frac_bits)), lo, hi).astype(np.int64)


def dequantize_logits(codes: np.ndarray, params: SoftmaxParams) -> np.ndarray:
    """Natural-log logits of score codes."""
    return np.asarray(codes, dtype=np.float64) / (1 << params.frac_bits) / math.log2(math.e)


def _exp(d: np.ndarray, params: SoftmaxParams, table: np.ndarray) -> np.ndarray:
    """``2**-d`` for fixed-point ``d >= 0``: the fraction's table entry shifted by the integer part."""
    f = params.frac_bits
    shift = d >> f
    s = np.minimum(shift, 63)
    e = (table[d & ((1 << f) - 1)] + ((1 << s) >> 1)) >> s  # rounded: truncation would bias long rows' sums
    return np.where(shift > params.exp_bits, 0, e)


def softmax_fixed(scores: np.ndarray, n: np.ndarray, params: SoftmaxParams) -> np.ndarray:
    """Output codes of the RTL for rows ``scores`` [rows, >= max(n)] of score codes, row i valid up to
    ``n[i]`` (1 to ``max_n``); entries past ``n[i]`` come back 0. Bit-exact, beat by beat."""
    scores = np.asarray(scores, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    p, f = params.parallelism, params.frac_bits
    table = params.exp_table()
    rows, cols = scores.shape
    beats = -(-cols // p)
    x = np.zeros((rows, beats * p), dtype=np.int64)
    x[:, :cols] = scores
    valid = np.arange(beats * p)[None, :] < n[:, None]
    m = np.zeros(rows, dtype=np.int64)
    total = np.zeros(rows, dtype=np.int64)
    for b in range(beats):
        lanes = slice(b * p, (b + 1) * p)
        live = valid[:, b * p]  # rows that still have this beat
        v = valid[:, lanes]
        bmax = np.where(v, x[:, lanes], np.iinfo(np.int64).min).max(axis=1)
        c = (bmax + (1 << f) - 1) >> f
        m_new = np.where(b == 0, c, np.maximum(m, c))
        e = np.where(v, _exp(np.where(v, (m_new[:, None] << f) - x[:, lanes], 0), params, table), 0)
        rise = m_new - m
        kept = np.where(rise >= params.sum_bits, 0, total >> np.minimum(rise, 63))
        total = np.where(live, np.where(b == 0, 0, kept) + e.sum(axis=1), total)
        m = np.where(live, m_new, m)
    r = (1 << params.recip_shift) // total
    e = np.where(valid, _exp(np.where(valid, (m[:, None] << f) - x, 0), params, table), 0)
    shift = params.recip_shift - params.out_bits
    out = np.minimum((e * r[:, None] + (1 << (shift - 1))) >> shift, (1 << params.out_bits) - 1)
    return np.where(valid, out, 0)[:, :cols]


def beats(n: np.ndarray | int, params: SoftmaxParams) -> np.ndarray:
    """Beats of a row of ``n`` scores: ``ceil(n / parallelism)``."""
    return -(-np.asarray(n, dtype=np.int64) // params.parallelism)


def job_cycles(n: Sequence[int], params: SoftmaxParams) -> int:
    """Cycles of rows of ``n[0], n[1], ...`` scores played back to back without stalls, from the first
    score beat accepted to the last probability beat emitted (inclusive).

    Row i of ``B_i`` beats loads from ``a_i = max(a_{i-1} + B_{i-1}, f_{i-3})`` (its buffer is free once
    the row three before has left), divides from ``d_i = max(a_i + B_i, e_{i-1})`` to ``e_i = d_i +
    DIV_CYCLES`` and is emitted from ``o_i = max(e_i, f_{i-1})`` to ``f_i = o_i + B_i`` (the cycle after
    its last beat).
    """
    b = beats(np.asarray(n), params).tolist()
    q = DIV_CYCLES
    load, div_end, free = [0] * len(b), [0] * len(b), [0] * len(b)
    for i, bi in enumerate(b):
        if i:
            load[i] = max(load[i - 1] + b[i - 1], free[i - 3] if i >= 3 else 0)
        div_end[i] = max(load[i] + bi, div_end[i - 1] if i else 0) + q
        free[i] = max(div_end[i], free[i - 1] if i else 0) + bi
    return free[-1] - load[0] if b else 0


def stream_cycles(rows: np.ndarray, n: np.ndarray, params: SoftmaxParams) -> np.ndarray:
    """:func:`job_cycles` of ``rows`` rows of ``n`` scores each (vectorized over jobs): the first row's
    load, division and output, then one row every ``max(B, DIV_CYCLES)`` cycles."""
    rows = np.asarray(rows, dtype=np.int64)
    b = beats(n, params)
    return np.where(rows > 0, 2 * b + DIV_CYCLES + (rows - 1) * np.maximum(b, DIV_CYCLES), 0)


def occupancy(rows: np.ndarray, n: np.ndarray, params: SoftmaxParams) -> np.ndarray:
    """Cycles the unit is busy with ``rows`` rows of ``n`` scores in a steady stream: ``rows *
    max(ceil(n / parallelism), DIV_CYCLES)`` (the first row's fill is the pipeline's latency)."""
    return np.asarray(rows, dtype=np.float64) * np.maximum(beats(n, params), DIV_CYCLES)


ERROR_BOUND = {"max_abs_lsb": 2.5, "mean_abs_lsb": 0.2, "max_rel": 0.015}
"""What :func:`measure_error` stays within (absolute errors in output steps, 2**-out_bits)."""
RELATIVE_FLOOR = 2.0**-6
"""Probabilities at or above which :func:`measure_error` reports relative error (6 significant bits in
Q0.12)."""


def measure_error(params: SoftmaxParams, rows: int, rng: np.random.Generator) -> dict[str, float]:
    """Error of :func:`softmax_fixed` against the float64 softmax of the same quantized logits, on ``rows``
    random rows (n uniform in 1 to ``max_n``; logits normal, spread 0.5 to 8 nats, offset -4 to 4 nats):
    max and mean absolute error, max relative error over probabilities of at least ``RELATIVE_FLOOR``."""
    n = rng.integers(1, params.max_n + 1, rows)
    logits = rng.normal(0, 1, (rows, params.max_n)) * rng.uniform(0.5, 8.0, rows)[:, None]
    codes = quantize_logits(logits + rng.uniform(-4, 4, rows)[:, None], params)
    valid = np.arange(params.max_n)[None, :] < n[:, None]
    got = softmax_fixed(codes, n, params) / (1 << params.out_bits)
    x = np.where(valid, dequantize_logits(codes, params), -np.inf)
    ref = np.exp(x - x.max(axis=1, keepdims=True))
    ref /= ref.sum(axis=1, keepdims=True)
    err = np.abs(got - ref)[valid]
    big = ref[valid] >= RELATIVE_FLOOR
    return {
        "max_abs": float(err.max()),
        "mean_abs": float(err.mean()),
        "max_rel": float((err[big] / ref[valid][big]).max()),
        "lsb": 2.0**-params.out_bits,
    }
