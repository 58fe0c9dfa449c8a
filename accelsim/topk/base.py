"""Top-k engine interface, parameters and registry.

An engine has two faces driven by one :class:`TopKParams`: a functional model (which items it
selects and the hardware-independent facts of the job, such as quick-select pass sizes) used in
phase 1, and a cycle model (cycles for *this* job at a given parallelism) used in phase 2.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np


@dataclass(frozen=True, kw_only=True)
class TopKParams:
    """Parameters of one top-k engine, shared by its models and its RTL.

    Parameters
    ----------
    parallelism : comparators per array (SpAtten: 16).
    width : score width in bits (SpAtten: 12).
    index_width : bits of an item index; max_n = 2**index_width.
    fifo_depth : entries of FIFO_L / FIFO_R (SpAtten: 64).
    """

    parallelism: int = 16
    width: int = 12
    index_width: int = 10
    fifo_depth: int = 64

    def __post_init__(self) -> None:
        for name in ("parallelism", "width", "index_width", "fifo_depth"):
            val = getattr(self, name)
            if not isinstance(val, int) or isinstance(val, bool) or val < 1:
                raise ValueError(f"{name} must be a positive integer, not {val!r}")

    @property
    def max_n(self) -> int:
        return 1 << self.index_width


@dataclass
class Selection:
    """What an engine selected for a batch of score vectors."""

    mask: np.ndarray  # [B, n] bool: selected items
    passes: list[np.ndarray]  # per vector: sizes of successive partition passes


class TopKEngine(ABC):
    """Base of all top-k engines; subclasses register with :func:`register`."""

    name: ClassVar[str]

    def __init__(self, params: TopKParams | None = None) -> None:
        self.params = params or TopKParams()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"

    @abstractmethod
    def select(self, scores: np.ndarray, k: np.ndarray | int, rng: np.random.Generator) -> Selection:
        """Select the top ``k`` of each row of ``scores`` [B, n] (NaN marks absent items)."""

    @abstractmethod
    def passes_for_shape(self, n: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        """Pass sizes of jobs known only by (n, k), e.g. from a request trace."""

    @abstractmethod
    def cycles(self, n: np.ndarray, k: np.ndarray, pass_sizes: np.ndarray,
               pass_start: np.ndarray, pass_count: np.ndarray) -> np.ndarray:
        """Cycles of each job, from its recorded pass sizes."""

    @abstractmethod
    def comparisons(self, n: np.ndarray, pass_sizes: np.ndarray, pass_start: np.ndarray,
                    pass_count: np.ndarray) -> np.ndarray:
        """Comparator operations of each job (for energy)."""


ENGINES: dict[str, type[TopKEngine]] = {}


def register(cls: type[TopKEngine]) -> type[TopKEngine]:
    """Class decorator: make an engine selectable by its ``name``."""
    ENGINES[cls.name] = cls
    return cls


def get_engine(name: str, params: TopKParams | None = None) -> TopKEngine:
    """Instantiate a registered engine; unknown names list the registered ones."""
    try:
        cls = ENGINES[name]
    except KeyError:
        raise KeyError(
            f"unknown top-k engine {name!r}; expected one of: {', '.join(sorted(ENGINES))}"
        ) from None
    return cls(params)


def segment_sum(values: np.ndarray, start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Sum of ``values[start[i] : start[i] + count[i]]`` for each i (vectorized)."""
    csum = np.concatenate([[0], np.cumsum(values, dtype=np.int64)])
    start = np.asarray(start, dtype=np.int64)
    return csum[start + np.asarray(count, dtype=np.int64)] - csum[start]
