"""Top-k engine interface, parameters and registry.

An engine has two faces driven by one :class:`TopKParams`: a functional model (which items it
selects and the hardware-independent facts of the job, such as quick-select pass sizes) used in
phase 1, and a cycle model (cycles for *this* job at a given parallelism) used in phase 2.

Cycle convention, shared with the RTL in ``accelsim.rtl.topk``: a job occupies the engine for
``input_cycles(n)`` cycles while its scores stream in, ``input_parallelism`` per cycle (the
upstream rate: softmax's for value jobs), and then ``cycles(...)`` more until its last selected
item has left. Passes inside the engine run at ``parallelism``.

The shared parameters are declared in :mod:`accelsim.topk.params`; an engine that reads more declares
its own params model beside it (``params_type``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from accelsim.registry import Registry
from accelsim.topk.params import TopKParams, engine_fields


@dataclass
class Selection:
    """What an engine selected for a batch of score vectors."""

    mask: np.ndarray  # [B, n] bool: selected items
    passes: list[np.ndarray]  # per vector: items streamed by each pass (engine-specific)


class TopKEngine(ABC):
    """Base of all top-k engines; subclasses register with :func:`register`."""

    name: ClassVar[str]
    params_type: ClassVar[type[TopKParams]] = TopKParams
    """The engine's params model: :class:`TopKParams`, or a subclass declaring the fields only this
    engine reads (each with its default, bounds and a docstring citing its source)."""
    plan_fields: ClassVar[tuple[str, ...]] = ()
    """The ``params_type`` fields the functional model (``select``, ``passes_for_shape``) reads:
    what phase 1's WorkPlan depends on besides the scores, so a sweep re-plans only when one of them
    changes (``tests/topk`` checks that no other field changes a selection)."""
    rtl: ClassVar[str | None] = None
    """The module of the engine's Amaranth component (registered there with
    ``accelsim.rtl.topk.common.register_component``), imported when the RTL is first looked up; None: the
    engine has no RTL."""
    select_only: ClassVar[tuple[str, ...]] = ()
    """The engine's own ``plan_fields`` that nothing but its selection reads (not its cycles nor its
    cost): where no selection runs (a request trace, a plan without top-k jobs), setting one away from
    its default changes nothing and is refused (``accelsim.api.plan_key``)."""

    def __init__(self, params: TopKParams | None = None) -> None:
        """``params``: of ``params_type``; a :class:`TopKParams` of another model is converted (ValueError
        naming any field this engine's model lacks)."""
        if params is None:
            params = self.params_type()
        elif type(params) is not self.params_type:
            params = self.params_type(**params.as_dict())
        self.params = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.params == other.params

    def __hash__(self) -> int:
        return hash((type(self), self.params))

    @abstractmethod
    def select(self, scores: np.ndarray, k: np.ndarray | int, rng: np.random.Generator) -> Selection:
        """Select the top ``k`` of each row of ``scores`` [B, n] (NaN marks absent items)."""

    @abstractmethod
    def passes_for_shape(self, n: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        """Pass sizes of jobs known only by (n, k), e.g. from a request trace."""

    @abstractmethod
    def cycles(
        self, n: np.ndarray, k: np.ndarray, pass_sizes: np.ndarray, pass_start: np.ndarray, pass_count: np.ndarray
    ) -> np.ndarray:
        """Cycles of each job after its last score arrived, from its recorded passes."""

    @abstractmethod
    def comparisons(
        self, n: np.ndarray, pass_sizes: np.ndarray, pass_start: np.ndarray, pass_count: np.ndarray
    ) -> np.ndarray:
        """Comparator operations of each job (for energy)."""

    def output_cycles(self, n: np.ndarray, k: np.ndarray) -> np.ndarray:
        """The last cycles of each job (part of ``cycles``) spent in an output stage of their own,
        during which the selection stage can take the next job; 0: a job holds the whole engine."""
        return np.zeros(np.shape(n), dtype=np.int64)

    def input_cycles(self, n: np.ndarray) -> np.ndarray:
        """Cycles to accept ``n`` scores: ``ceil(n / input_parallelism)``."""
        return ceil_div(n, self.params.input_parallelism)

    def total_cycles(self, n: np.ndarray, k: np.ndarray, passes: list[np.ndarray]) -> np.ndarray:
        """Input plus compute cycles of jobs whose passes are given as a list (one per job)."""
        count = np.array([len(p) for p in passes], dtype=np.int64)
        start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
        flat = np.concatenate(passes).astype(np.int64) if len(passes) else np.zeros(0, np.int64)
        n = np.asarray(n, dtype=np.int64)
        return self.input_cycles(n) + self.cycles(n, np.asarray(k, dtype=np.int64), flat, start, count)


ENGINES: Registry[type[TopKEngine]] = Registry("top-k engine", "accelsim.topk")
"""Every engine: this package's modules, the ``accelsim.topk`` entry points and YAML ``plugins:``."""


def register(cls: type[TopKEngine]) -> type[TopKEngine]:
    """Class decorator: make an engine selectable by its ``name``.

    Raises
    ------
    TypeError
        Its ``params_type`` is no :class:`TopKParams`, ``plan_fields`` names a field it lacks, or
        ``select_only`` a field not its own among them.
    """
    own = engine_fields(cls.params_type)
    missing = sorted(set(cls.plan_fields) - set(cls.params_type.model_fields))
    if missing:
        raise TypeError(
            f"{cls.__name__}.plan_fields names {', '.join(missing)}, not a field of {cls.params_type.__name__}"
        )
    if not set(cls.select_only) <= set(cls.plan_fields) & own.keys():
        raise TypeError(f"{cls.__name__}.select_only must name fields of its own among its plan_fields")
    ENGINES.add(cls.name, cls, cls.__module__)
    return cls


def get_engine(name: str, params: TopKParams | None = None) -> TopKEngine:
    """Instantiate a registered engine; unknown names list the registered ones."""
    try:
        cls = ENGINES[name]
    except KeyError:
        raise KeyError(f"unknown top-k engine {name!r}; expected one of: {ENGINES.names()}") from None
    return cls(params)


def engine_params(name: str, **fields: object) -> TopKParams:
    """The params model of the registered engine ``name`` with ``fields`` (its ``params_type``); KeyError
    for an unknown name, ValueError for a field out of range or not the engine's."""
    try:
        cls = ENGINES[name]
    except KeyError:
        raise KeyError(f"unknown top-k engine {name!r}; expected one of: {ENGINES.names()}") from None
    return cls.params_type(**fields)


def ceil_div(a: np.ndarray | int, b: int) -> np.ndarray:
    """``ceil(a / b)`` on integers."""
    return -(-np.asarray(a, dtype=np.int64) // b)


def segment_sum(values: np.ndarray, start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Sum of ``values[start[i] : start[i] + count[i]]`` for each i (vectorized)."""
    csum = np.concatenate([[0], np.cumsum(values, dtype=np.int64)])
    start = np.asarray(start, dtype=np.int64)
    return csum[start + np.asarray(count, dtype=np.int64)] - csum[start]


def as_batch(scores: np.ndarray, k: np.ndarray | int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores as a [B, n] float array, k per row clipped to the valid count, and the valid mask."""
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    b = scores.shape[0]
    k = np.broadcast_to(np.asarray(k, dtype=np.int64), (b,)).copy()
    if (k < 0).any():
        raise ValueError(f"k must be non-negative, not {int(k.min())}")
    valid = ~np.isnan(scores)
    return scores, np.minimum(k, valid.sum(axis=1)), valid


def exact_topk_mask(scores: np.ndarray, k: np.ndarray | int) -> np.ndarray:
    """Mask of the ``k`` largest entries of each row of ``scores`` [..., n], ``k`` broadcast over the
    rows (shape ``scores.shape[:-1]``); NaN items never selected; ties keep the earliest index."""
    shape = scores.shape
    flat = scores.reshape(-1, shape[-1])
    filled = np.where(np.isnan(flat), -np.inf, flat)
    order = np.argsort(-filled, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(shape[-1])[None, :], axis=1)
    kk = np.broadcast_to(np.asarray(k), shape[:-1]).reshape(-1, 1)
    return ((rank < kk) & ~np.isnan(flat)).reshape(shape)


def lfsr_sequence(seed: int, length: int) -> np.ndarray:
    """States of the 16-bit Galois LFSR x^16+x^14+x^13+x^11+1 (taps 0xB400), from ``seed``."""
    out = np.empty(length, dtype=np.int64)
    state = seed
    for i in range(length):
        out[i] = state
        state = (state >> 1) ^ (0xB400 if state & 1 else 0)
    return out
