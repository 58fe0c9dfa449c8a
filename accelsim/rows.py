"""Table rows as columns (:class:`Rows`): how a chunk of sweep results travels from a worker, is
buffered and written, and how the fast path hands its results' rows over."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Rows:
    """Table rows as columns: each column's name and values, in the order ``pd.DataFrame(rows)`` puts
    them (first appearance), NaN where a row lacks the column (as pandas fills it). What a worker
    returns for a chunk of points: far cheaper to send and to store than a dict per row."""

    columns: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    """One tuple per column, a value per row."""
    size: int

    @classmethod
    def of(cls, rows: list[dict[str, Any]]) -> Rows:
        """The rows ``rows`` as columns."""
        if not rows:
            return cls((), (), 0)
        first = tuple(rows[0])
        if all(tuple(r) == first for r in rows):  # the usual chunk: every row has the same columns
            return cls(first, tuple(zip(*(r.values() for r in rows), strict=True)), len(rows))
        cols = tuple(dict.fromkeys(k for r in rows for k in r))
        return cls(cols, tuple(tuple(r.get(k, math.nan) for r in rows) for k in cols), len(rows))

    @classmethod
    def concat(cls, parts: Iterable[Rows]) -> Rows:
        """``parts`` one after the other (a part without a column: NaN there)."""
        parts = [p for p in parts if p.size]
        if len(parts) == 1:
            return parts[0]
        cols = tuple(dict.fromkeys(c for p in parts for c in p.columns))
        by = [dict(zip(p.columns, p.values, strict=True)) for p in parts]
        values = tuple(
            tuple(chain.from_iterable(b.get(c) or (math.nan,) * p.size for p, b in zip(parts, by, strict=True)))
            for c in cols
        )
        return cls(cols, values, sum(p.size for p in parts))

    def beside(self, other: Rows) -> Rows:
        """Each row of ``self`` followed by the same row of ``other`` (its value where both have a
        column, at ``self``'s place: as ``{**a, **b}``)."""
        mine = dict(zip(self.columns, self.values, strict=True))
        mine.update(zip(other.columns, other.values, strict=True))
        return Rows(tuple(mine), tuple(mine.values()), other.size)

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts."""
        return [dict(zip(self.columns, row, strict=True)) for row in zip(*self.values, strict=True)]

    def frame(self) -> pd.DataFrame:
        """The rows as ``pd.DataFrame(self.records())`` would hold them."""
        import pandas as pd  # pandas: on use only (an event run never builds a frame)

        return pd.DataFrame(
            {c: _column(v) for c, v in zip(self.columns, self.values, strict=True)}, index=pd.RangeIndex(self.size)
        )


_TYPED = {frozenset({float}): np.float64, frozenset({int}): np.int64, frozenset({bool}): np.bool_}
"""The column types whose values (all of one Python type) pandas makes one numpy dtype of."""


def _column(values: tuple[Any, ...]) -> np.ndarray | list[Any]:
    """A column's values as pandas holds them: an array of the dtype pandas infers where every value is
    a float, an int or a bool (converted at once, ~5x faster than pandas' inference), else a list that
    pandas infers."""
    dtype = _TYPED.get(frozenset(map(type, values)))
    if dtype is not None:
        try:
            return np.array(values, dtype)
        except OverflowError:  # an int beyond int64: pandas decides
            pass
    return list(values)
