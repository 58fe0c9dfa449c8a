"""What the bench plays on each streaming unit and what the numpy models expect back.

A vector is one row (a softmax row, a row of probabilities for the requant decision); consecutive rows
form a job of 1 to ``MAX_JOB_ROWS`` rows played back to back under one flow-control mode, and the
cycles of a free-flowing job are checked against the unit's cycle model. Each unit's :class:`Case`
gives its component, its stream layouts as the bench packs them, its edge and random rows, and the
expected output beats and cycles.

:data:`CASES` holds the built-in units' cases and those of every registered unit that names its RTL
module (``accelsim.units.Unit.rtl``; the module registers its case with :func:`register_case`): a unit
with RTL adds no name to any list here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from pydantic import BaseModel

from accelsim.hw import requant, softmax
from accelsim.hw.requant import RequantParams
from accelsim.hw.softmax import SoftmaxParams
from accelsim.registry import Named
from accelsim.units import UNITS

MAX_JOB_ROWS = 4  # rows per job: enough to cycle both softmax buffers twice
FLOW_CONTROL_SHARE = 4  # one job in 4 runs under flow control (modes 1 and 2)


@dataclass
class Rows:
    """Vectors: ``data`` [V, max_n] (row i valid up to ``n[i]``), a per-row ``threshold`` (the value sent
    with the row's beats: requant's threshold, kvwrite's scale), the job of each row (non-decreasing from
    0) and each job's flow-control mode."""

    data: np.ndarray
    n: np.ndarray
    threshold: np.ndarray
    job: np.ndarray
    mode: np.ndarray

    def __len__(self) -> int:
        return len(self.n)


def group(count: int, rng: np.random.Generator, modes: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Jobs of 1 to ``MAX_JOB_ROWS`` rows over ``count`` rows, and each job's mode (``modes``: given)."""
    sizes = rng.integers(1, MAX_JOB_ROWS + 1, count)
    job = np.repeat(np.arange(count), sizes)[:count]
    jobs = int(job[-1]) + 1 if count else 0
    if modes is None:
        flow = rng.integers(0, FLOW_CONTROL_SHARE, jobs) == 0
        mode = np.where(flow, rng.integers(1, 3, jobs), 0)
    else:
        mode = np.resize(np.asarray(modes, dtype=np.int64), jobs)
    return job, mode


def concat(a: Rows, b: Rows) -> Rows:
    """Rows of ``a`` then ``b`` (``b``'s jobs renumbered after ``a``'s)."""
    shift = int(a.job.max()) + 1 if len(a) else 0
    width = max(a.data.shape[1], b.data.shape[1])

    def pad(x: np.ndarray) -> np.ndarray:
        return np.pad(x, ((0, 0), (0, width - x.shape[1])))

    return Rows(
        np.concatenate([pad(a.data), pad(b.data)]),
        np.concatenate([a.n, b.n]),
        np.concatenate([a.threshold, b.threshold]),
        np.concatenate([a.job, b.job + shift]),
        np.concatenate([a.mode, b.mode]),
    )


class Case(ABC):
    """A streaming unit as the bench sees it."""

    name: ClassVar[str]
    params_type: ClassVar[type[BaseModel]]
    input: ClassVar[str]
    output: ClassVar[str]
    side: ClassVar[tuple[str, ...]] = ()
    reads: ClassVar[tuple[str, ...] | None] = None
    """The ``params_type`` fields the component reads (None: all); ``accelsim rtl`` refuses a
    ``--param`` of any other."""

    def __init__(self, params: BaseModel) -> None:
        self.params = params

    @abstractmethod
    def component(self):
        """The unit's Amaranth component at ``params``."""

    @abstractmethod
    def in_fields(self) -> list[list]:
        """``[name, bits, lanes]`` of the input payload, from bit 0."""

    @abstractmethod
    def out_fields(self) -> list[list]:
        """``[name, bits, lanes]`` of the output payload, from bit 0."""

    def lanes(self) -> int:
        return self.params.parallelism

    @abstractmethod
    def edge_rows(self, rng: np.random.Generator) -> Rows:
        """Known corner cases."""

    @abstractmethod
    def random_rows(self, count: int, rng: np.random.Generator) -> Rows:
        """``count`` random rows grouped into jobs with their flow-control modes."""

    @abstractmethod
    def encode(self, rows: Rows) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Input field lanes per beat and side-port values per beat, rows in order."""

    @abstractmethod
    def out_beats(self, rows: Rows) -> np.ndarray:
        """Output beats of each row."""

    @abstractmethod
    def expected(self, rows: Rows) -> dict[str, np.ndarray]:
        """Output field lanes per beat, rows in order."""

    @abstractmethod
    def cycles(self, rows: Rows) -> np.ndarray:
        """The cycle model's count for each job without stalls."""

    def in_beats(self, rows: Rows) -> np.ndarray:
        return -(-rows.n // self.lanes())


CASES: Named[type[Case]] = Named(UNITS)
"""The bench case of each unit with RTL: the built-in softmax and requant, and each registered unit's
named by its ``rtl`` module."""


def register_case(cls: type[Case]) -> type[Case]:
    """Class decorator: ``cls`` is the bench case (and through it the RTL) of the unit ``cls.name``."""
    CASES.add(cls.name, cls)
    return cls


@register_case
class SoftmaxCase(Case):
    name = "softmax"
    params_type = SoftmaxParams
    input, output, side = "scores", "probs", ("n",)

    def component(self):
        from accelsim.rtl.units.softmax import Softmax

        return Softmax(self.params)

    def in_fields(self) -> list[list]:
        return [["s", self.params.width, self.params.parallelism]]

    def out_fields(self) -> list[list]:
        return [["p", self.params.out_bits, self.params.parallelism], ["last", 1, 1]]

    def _span(self) -> tuple[int, int]:
        return -(1 << (self.params.width - 1)), (1 << (self.params.width - 1)) - 1

    def edge_rows(self, rng: np.random.Generator) -> Rows:
        """n = 1, P - 1, P, P + 1, max_n - 1, max_n; equal scores; the extreme codes; one large score
        among small ones and the reverse; a spread wider than the exp's range; rising scores (the
        reference rises every beat); max_n rows back to back (both buffers reused)."""
        prm = self.params
        mx, p = prm.max_n, prm.parallelism
        lo, hi = self._span()
        rows = []
        for n in sorted({1, max(1, p - 1), p, min(mx, p + 1), max(1, mx - 1), mx}):
            rows.append(rng.integers(lo, hi + 1, n))
        rows += [np.zeros(mx, np.int64), np.full(mx, hi), np.full(mx, lo), np.full(p + 1 if p < mx else mx, 5)]
        spike = np.full(mx, lo)
        spike[mx // 2] = hi
        rows += [
            spike,
            np.where(np.arange(mx) == mx - 1, lo, hi),
            np.linspace(lo, hi, mx).astype(np.int64),
            np.linspace(hi, lo, mx).astype(np.int64),
            rng.integers(-3, 4, mx),
        ]
        full = [rng.integers(lo, hi + 1, mx) for _ in range(MAX_JOB_ROWS)]
        single = len(rows)
        rows += full + full  # full-length jobs, free and under flow control: both buffers reused
        n = np.array([len(r) for r in rows])
        data = np.zeros((len(rows), mx), np.int64)
        for i, r in enumerate(rows):
            data[i, : len(r)] = r
        job = np.concatenate([np.arange(single), np.repeat([single, single + 1], MAX_JOB_ROWS)])
        return Rows(data, n, np.zeros(len(n), np.int64), job, np.array([0] * (single + 1) + [2]))

    def random_rows(self, count: int, rng: np.random.Generator) -> Rows:
        """Random n in [1, max_n]; logits normal with a random spread (0.5 to 8 nats), quantized."""
        prm = self.params
        n = rng.integers(1, prm.max_n + 1, count)
        sigma = rng.uniform(0.5, 8.0, count)[:, None]
        logits = rng.normal(0, 1, (count, prm.max_n)) * sigma + rng.uniform(-4, 4, count)[:, None]
        data = softmax.quantize_logits(logits, prm)
        data[np.arange(prm.max_n)[None, :] >= n[:, None]] = 0
        job, mode = group(count, rng)
        return Rows(data, n, np.zeros(count, np.int64), job, mode)

    def encode(self, rows: Rows) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        p = self.params.parallelism
        beats = self.in_beats(rows)
        lanes = [rows.data[i, : b * p].reshape(b, p) for i, b in enumerate(beats)]
        return {"s": np.concatenate(lanes)}, {"n": np.repeat(rows.n, beats)}

    def out_beats(self, rows: Rows) -> np.ndarray:
        return self.in_beats(rows)

    def expected(self, rows: Rows) -> dict[str, np.ndarray]:
        p = self.params.parallelism
        probs = softmax.softmax_fixed(rows.data, rows.n, self.params)
        beats = self.in_beats(rows)
        lanes = np.concatenate([probs[i, : b * p].reshape(b, p) for i, b in enumerate(beats)])
        last = np.concatenate([np.arange(b) == b - 1 for b in beats]).astype(np.int64)[:, None]
        return {"p": lanes, "last": last}

    def cycles(self, rows: Rows) -> np.ndarray:
        return np.array(
            [softmax.job_cycles(rows.n[rows.job == j], self.params) for j in range(len(rows.mode))], dtype=np.int64
        )


@register_case
class RequantCase(Case):
    name = "requant"
    params_type = RequantParams
    input, output = "beats", "decisions"

    def component(self):
        from accelsim.rtl.units.requant import RequantDecision

        return RequantDecision(self.params)

    def in_fields(self) -> list[list]:
        w = self.params.width
        return [["p", w, self.params.parallelism], ["threshold", w + 1, 1], ["last", 1, 1]]

    def out_fields(self) -> list[list]:
        return [["need_requant", 1, 1], ["max", self.params.width, 1]]

    def _rows(self, data: list[np.ndarray], threshold: list[int], job: np.ndarray, mode: np.ndarray) -> Rows:
        width = max(len(r) for r in data)
        out = np.zeros((len(data), width), np.int64)
        for i, r in enumerate(data):
            out[i, : len(r)] = r
        return Rows(out, np.array([len(r) for r in data]), np.asarray(threshold, np.int64), job, mode)

    def edge_rows(self, rng: np.random.Generator) -> Rows:
        """All zeros against thresholds 0 and 1; the max equal to the threshold and one below it; the
        full-scale max; the threshold 2**width (always requantize); the max in the first and the last
        lane; one-beat rows back to back under each flow-control mode (the decision register stalls)."""
        w, p = self.params.width, self.params.parallelism
        top = (1 << w) - 1
        zeros = np.zeros(3 * p, np.int64)
        at = rng.integers(0, top, 3 * p)
        first, last = np.zeros(2 * p, np.int64), np.zeros(2 * p, np.int64)
        first[0], last[-1] = 900, 900
        data = [zeros, zeros, at, at, np.full(p, top), np.full(p, top), first, last, first, last]
        thr = [0, 1, int(at.max()), int(at.max()) + 1, top, top + 1, 900, 900, 901, 901]
        short = [rng.integers(0, top + 1, p) for _ in range(3 * MAX_JOB_ROWS)]
        data += short
        thr += [int(rng.integers(0, top + 2)) for _ in short]
        job = np.concatenate([np.arange(10), 10 + np.repeat(np.arange(3), MAX_JOB_ROWS)])
        return self._rows(data, thr, job, np.array([0] * 10 + [0, 1, 2]))

    def random_rows(self, count: int, rng: np.random.Generator) -> Rows:
        """Half the rows the softmax model's output on random logits (rows of 1 to 64 beats), half
        uniform codes; thresholds near the row's max, so both decisions occur."""
        w, p = self.params.width, self.params.parallelism
        sm = SoftmaxParams(parallelism=p, out_bits=w, index_width=max(6, p.bit_length()))
        n = rng.integers(1, sm.max_n + 1, count)
        logits = rng.normal(0, 1, (count, sm.max_n)) * rng.uniform(0.5, 6.0, count)[:, None]
        probs = softmax.softmax_fixed(softmax.quantize_logits(logits, sm), n, sm)
        uniform = rng.integers(0, 1 << w, (count, sm.max_n))
        data = np.where((rng.random(count) < 0.5)[:, None], probs, uniform)
        data[np.arange(sm.max_n)[None, :] >= n[:, None]] = 0
        thr = np.clip(data.max(axis=1) + rng.integers(-8, 9, count), 0, 1 << w)
        job, mode = group(count, rng)
        return Rows(data, n, thr, job, mode)

    def encode(self, rows: Rows) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        p = self.params.parallelism
        beats = self.in_beats(rows)
        lanes = np.concatenate([rows.data[i, : b * p].reshape(b, p) for i, b in enumerate(beats)])
        last = np.concatenate([np.arange(b) == b - 1 for b in beats]).astype(np.int64)[:, None]
        return {"p": lanes, "threshold": np.repeat(rows.threshold, beats)[:, None], "last": last}, {}

    def out_beats(self, rows: Rows) -> np.ndarray:
        return np.ones(len(rows), np.int64)

    def expected(self, rows: Rows) -> dict[str, np.ndarray]:
        need, top = requant.decide(rows.data, rows.threshold)
        return {"need_requant": need.astype(np.int64)[:, None], "max": top[:, None]}

    def cycles(self, rows: Rows) -> np.ndarray:
        beats = self.in_beats(rows)
        return np.array([requant.job_cycles(beats[rows.job == j]) for j in range(len(rows.mode))], dtype=np.int64)
