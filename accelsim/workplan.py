"""The WorkPlan: what a policy decided to fetch and compute, one row per (step, layer, head).

Phase 1 (a policy on a trace, or a SpAtten CSV import) writes it; phase 2 (timing and energy)
reads it. It holds only hardware-independent facts, so one WorkPlan serves a whole hardware sweep:
row counts and bit widths, the sizes of each quick-select pass (fixed by the data and the seeded
pivots, not by the comparator count), the indices of kept rows when known, and quality proxies.
Which engine drew those passes is recorded with them (``meta["topk_engine"]``, and
``meta["topk_params"]``: the engine's params its passes depend on), and phase 2 times a plan only
on hardware with that engine and those params (``accelsim.api.simulate``).

A plan keeps its tables as numpy columns (:class:`Table`: ``req_table``, ``topk_table``), which phase 2
reads; ``requests`` and ``topk`` are the same tables as pandas DataFrames, built on first access, so a
run that only times a plan never imports pandas.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

REQUEST_COLUMNS: dict[str, str] = {
    "prefill": "bool",  # True: prefill/summarization (K/V reused across queries); False: decode
    "step": "int32",  # decode step (0 for prefill)
    "layer": "int32",
    "head": "int32",
    "d": "int32",  # head dimension
    "context": "int32",  # tokens in the context before pruning
    "queries": "int32",  # queries of this request (1 in decode)
    "keys": "int32",  # key rows fetched from DRAM
    "key_bits": "int32",  # bits per key element fetched first (MSBs)
    "lsb_bits": "int32",  # bits per key element re-fetched when requantizing
    "lsb_keys": "int32",  # key rows whose LSBs were re-fetched from DRAM
    "lsb_queries": "int32",  # queries whose probabilities were recomputed with LSBs
    "requant_rows": "int64",  # key rows re-scored in those recomputations
    "values": "int32",  # value rows fetched from DRAM
    "value_bits": "int32",
    "qk_rows": "int64",  # key rows scored, summed over queries
    "pv_rows": "int64",  # value rows multiplied, summed over queries
    "mass_recall": "float64",  # mean attention mass (full attention) on the kept value rows; NaN if unknown
    "out_err": "float64",  # mean ||o_S - o|| / ||o|| against full attention; NaN if unknown
    "topk_recall": "float64",  # mean |S ∩ topk(p, |S|)| / |S| (exact top-k of full attention); NaN if unknown
    "lo_keys": "int32",  # of the key rows fetched, those stored at lo_bits instead of key_bits
    "lo_values": "int32",  # of the value rows fetched, those stored at lo_bits instead of value_bits
    "lo_bits": "int32",  # bits per element of the low-precision rows (mixed-precision policies)
    "side_bytes": "float64",  # other bytes fetched with the keys: VQ ids, codebooks, quantization scales
}
REQUEST_DEFAULTS: dict[str, float] = {
    "topk_recall": np.nan, "lo_keys": 0, "lo_values": 0, "lo_bits": 0, "side_bytes": 0.0,
}
"""Columns a WorkPlan may omit (e.g. a SpAtten CSV import); they are filled with these values."""

TOPK_KINDS = ("value", "token", "head")
TOPK_COLUMNS: dict[str, str] = {
    "request": "int64",  # index of the request row the job follows
    "kind": "int8",  # index into TOPK_KINDS
    "n": "int32",
    "k": "int32",
    "pass_start": "int64",  # first entry in WorkPlan.pass_sizes
    "pass_count": "int32",  # number of quick-select partition passes
}


def empty_frame(columns: dict[str, str], n: int = 0) -> pd.DataFrame:
    return Table({c: np.zeros(n, dtype=t) for c, t in columns.items()}).frame()


class Table(Mapping[str, np.ndarray]):
    """Named numpy columns of one length: a WorkPlan's requests or top-k jobs, without pandas.

    ``len`` is the number of rows; iteration gives the column names.
    """

    __slots__ = ("_cols", "_rows")

    def __init__(self, cols: Mapping[str, Any]) -> None:
        self._cols = {name: np.asarray(col) for name, col in cols.items()}
        lengths = {len(col) for col in self._cols.values()}
        if len(lengths) > 1:
            raise ValueError(f"Table columns differ in length: {sorted(lengths)}")
        self._rows = lengths.pop() if lengths else 0

    @classmethod
    def of(cls, data: Table | Mapping[str, Any] | pd.DataFrame) -> Table:
        """``data`` as a Table (a DataFrame's columns, a mapping of arrays, or a Table as it is)."""
        if isinstance(data, Table):
            return data
        return cls({str(c): (data[c].to_numpy() if hasattr(data[c], "to_numpy") else data[c]) for c in data})

    def __getitem__(self, name: str) -> np.ndarray:
        return self._cols[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._cols)

    def __len__(self) -> int:
        return self._rows

    def __getstate__(self) -> tuple[dict[str, np.ndarray], int]:
        return self._cols, self._rows

    def __setstate__(self, state: tuple[dict[str, np.ndarray], int]) -> None:
        self._cols, self._rows = state

    def frame(self) -> pd.DataFrame:
        """The columns as a pandas DataFrame."""
        import pandas as pd

        frame = pd.DataFrame(self._cols)
        if not self._cols:
            frame.index = pd.RangeIndex(self._rows)
        return frame


class _TableField:
    """A WorkPlan field set from a DataFrame or a mapping of columns and kept as a :class:`Table`
    (``<name>_table``); read, it is a DataFrame built from the Table on first access."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.table, self.cache = f"{'req' if name == 'requests' else name}_table", f"_{name}_frame"

    def __get__(self, obj: Any, owner: type | None = None) -> pd.DataFrame:
        if obj is None:  # no default: the dataclass field is required
            raise AttributeError(self.table)
        frame = obj.__dict__.get(self.cache)
        if frame is None:
            frame = obj.__dict__[self.cache] = obj.__dict__[self.table].frame()
        return frame

    def __set__(self, obj: Any, value: Table | Mapping[str, Any] | pd.DataFrame) -> None:
        obj.__dict__[self.table] = Table.of(value)
        obj.__dict__.pop(self.cache, None)


@dataclass
class WorkPlan:
    """Requests, top-k jobs and their pass sizes, with metadata.

    ``requests`` and ``topk`` take a DataFrame, a mapping of columns or a :class:`Table`.
    """

    requests: pd.DataFrame = _TableField()
    topk: pd.DataFrame = _TableField()
    pass_sizes: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    key_index: np.ndarray | None = None
    """Token positions of the key rows each request fetches, concatenated in request order
    (``requests.keys`` entries per request); None when the workload does not say which (a request
    trace records only counts)."""
    value_index: np.ndarray | None = None
    """Likewise for the value rows (``requests.values`` entries per request)."""
    query_rows: np.ndarray | None = None
    """Key rows each query scores, concatenated in request order (``requests.queries`` entries per
    request, summing to its ``qk_rows``); None: each request's rows spread evenly over its queries."""

    req_table: Table = field(init=False, repr=False, compare=False)
    """``requests`` as numpy columns, in ``REQUEST_COLUMNS`` order and types."""
    topk_table: Table = field(init=False, repr=False, compare=False)
    """``topk`` as numpy columns, ``TOPK_COLUMNS`` in their types first."""

    def __post_init__(self) -> None:
        r, t = self.req_table, self.topk_table
        missing = set(REQUEST_COLUMNS) - set(r) - set(REQUEST_DEFAULTS)
        if missing:
            raise ValueError(f"WorkPlan.requests lacks columns {sorted(missing)}")
        missing = set(TOPK_COLUMNS) - set(t)
        if missing:
            raise ValueError(f"WorkPlan.topk lacks columns {sorted(missing)}")
        self.requests = Table({c: r[c].astype(dtype) if c in r else np.full(len(r), REQUEST_DEFAULTS[c], dtype)
                               for c, dtype in REQUEST_COLUMNS.items()})
        self.topk = Table({**{c: t[c].astype(dtype) for c, dtype in TOPK_COLUMNS.items()},
                           **{c: t[c].copy() for c in t if c not in TOPK_COLUMNS}})
        r = self.req_table
        self.pass_sizes = np.asarray(self.pass_sizes, dtype=np.int32)
        for name, col in (("key_index", "keys"), ("value_index", "values")):
            idx = getattr(self, name)
            if idx is None:
                continue
            idx = np.asarray(idx, dtype=np.int32)
            if len(idx) != int(r[col].sum()):
                raise ValueError(f"WorkPlan.{name} holds {len(idx)} rows, requests.{col} sums to {int(r[col].sum())}")
            setattr(self, name, idx)
        if self.query_rows is not None:
            self.query_rows = np.asarray(self.query_rows, dtype=np.int64)
            if len(self.query_rows) != int(r["queries"].sum()):
                raise ValueError(f"WorkPlan.query_rows holds {len(self.query_rows)} queries, requests.queries "
                                 f"sums to {int(r['queries'].sum())}")

    def __getstate__(self) -> dict[str, Any]:
        """The plan without the DataFrames built from its tables (rebuilt on access)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_requests_frame", "_topk_frame")}

    def rows_per_query(self) -> np.ndarray:
        """Key rows each query scores (:attr:`query_rows`, or each request's ``qk_rows`` spread evenly
        over its queries), concatenated in request order."""
        if self.query_rows is not None:
            return self.query_rows
        r = self.req_table
        return even_spread(r["qk_rows"].astype(np.int64), r["queries"].astype(np.int64))

    def rows_of(self, kind: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(token positions, start offset per request) of the ``keys`` or ``values`` each request
        fetches, or None when the plan does not know them."""
        idx = self.key_index if kind == "keys" else self.value_index
        if idx is None:
            return None
        counts = self.req_table[kind].astype(np.int64)
        return idx, np.concatenate(([0], np.cumsum(counts)[:-1]))

    def record_engine(self, engine: Any, fields: tuple[str, ...] | None = None) -> None:
        """Record the top-k engine (a ``TopKEngine``) whose selections and passes the plan holds, and
        its params ``fields`` (default: those its functional model reads, ``engine.plan_fields``)."""
        names = engine.plan_fields if fields is None else fields
        self.meta["topk_engine"] = engine.name
        self.meta["topk_params"] = {n: getattr(engine.params, n) for n in names}

    def engine_record(self) -> tuple[str, dict[str, Any]] | None:
        """(engine name, params its passes depend on) as recorded, or None."""
        if "topk_engine" not in self.meta:
            return None
        return str(self.meta["topk_engine"]), dict(self.meta.get("topk_params", {}))

    def __len__(self) -> int:
        return len(self.req_table)

    @property
    def has_quality(self) -> bool:
        return bool((~np.isnan(self.req_table["mass_recall"])).any())

    def dram_bytes(self) -> dict[str, float]:
        """Bytes fetched from DRAM by class (hardware-independent arithmetic)."""
        key, lsb, value, side = request_bytes(self.req_table)
        return {"key": float(key.sum()), "key_lsb": float(lsb.sum()), "value": float(value.sum()),
                "side": float(side.sum())}


def even_spread(total: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """``total[i]`` split into ``parts[i]`` integers as even as possible (larger ones first), concatenated."""
    owner = np.repeat(np.arange(len(parts)), parts)
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(parts) - parts, parts)
    base, extra = np.divmod(total, np.maximum(parts, 1))
    return base[owner] + (rank < extra[owner])


def request_bytes(r: Table | pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Bytes of each request's key, key-LSB, value and side fetches (low-precision rows included)."""
    c = {k: np.asarray(r[k]) for k in ("d", "lo_bits", "keys", "lo_keys", "key_bits", "lsb_keys", "lsb_bits",
                                       "values", "lo_values", "value_bits", "side_bytes")}
    d = c["d"].astype(np.float64)
    lo = c["lo_bits"].astype(np.float64)
    key = d * ((c["keys"] - c["lo_keys"]) * c["key_bits"] + c["lo_keys"] * lo).astype(np.float64) / 8
    lsb = d * (c["lsb_keys"] * c["lsb_bits"]).astype(np.float64) / 8
    value = d * ((c["values"] - c["lo_values"]) * c["value_bits"] + c["lo_values"] * lo).astype(np.float64) / 8
    return key, lsb, value, c["side_bytes"].astype(np.float64)


class TopKJobs:
    """Accumulates top-k jobs and their pass sizes while a WorkPlan is built."""

    def __init__(self) -> None:
        self._cols: dict[str, list[np.ndarray]] = {c: [] for c in TOPK_COLUMNS}
        self._passes: list[np.ndarray] = []
        self._n_passes = 0

    def add(self, request: np.ndarray, kind: str, n: np.ndarray, k: np.ndarray,
            passes: list[np.ndarray]) -> None:
        """Add jobs: arrays of equal length; ``passes[i]`` holds job i's pass sizes."""
        count = np.array([len(p) for p in passes], dtype=np.int64)
        start = self._n_passes + np.concatenate([[0], np.cumsum(count)[:-1]]) if len(count) else count
        self._cols["request"].append(np.asarray(request, dtype=np.int64))
        self._cols["kind"].append(np.full(len(count), TOPK_KINDS.index(kind), dtype=np.int8))
        self._cols["n"].append(np.asarray(n, dtype=np.int32))
        self._cols["k"].append(np.asarray(k, dtype=np.int32))
        self._cols["pass_start"].append(start.astype(np.int64))
        self._cols["pass_count"].append(count.astype(np.int32))
        if len(count):
            self._passes.append(np.concatenate(passes).astype(np.int32))
            self._n_passes += int(count.sum())

    def table(self) -> tuple[Table, np.ndarray]:
        """The jobs (``TOPK_COLUMNS``) and their pass sizes."""
        if not self._cols["request"]:
            return Table({c: np.zeros(0, dtype=t) for c, t in TOPK_COLUMNS.items()}), np.zeros(0, dtype=np.int32)
        passes = np.concatenate(self._passes) if self._passes else np.zeros(0, np.int32)
        return Table({c: np.concatenate(v) for c, v in self._cols.items()}), passes

    def frame(self) -> tuple[pd.DataFrame, np.ndarray]:
        """:meth:`table` with the jobs as a DataFrame."""
        table, passes = self.table()
        return table.frame(), passes
