"""The WorkPlan: what a policy decided to fetch and compute, one row per (step, layer, head).

Phase 1 (a policy on a trace, or a SpAtten CSV import) writes it; phase 2 (timing and energy)
reads it. It holds only hardware-independent facts, so one WorkPlan serves a whole hardware sweep:
row counts and bit widths, the sizes of each quick-select pass (fixed by the data and the seeded
pivots, not by the comparator count), the indices of kept rows when known, and quality proxies.
Which engine drew those passes is recorded with them (``meta["topk_engine"]``, and
``meta["topk_params"]``: the engine's params its passes depend on), and phase 2 times a plan only
on hardware with that engine and those params (``accelsim.api.simulate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
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
    return pd.DataFrame({c: np.zeros(n, dtype=t) for c, t in columns.items()})


@dataclass
class WorkPlan:
    """Requests, top-k jobs and their pass sizes, with metadata."""

    requests: pd.DataFrame
    topk: pd.DataFrame
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

    def __post_init__(self) -> None:
        absent = {c: v for c, v in REQUEST_DEFAULTS.items() if c not in self.requests.columns}
        if absent:
            self.requests = self.requests.assign(**absent)
        missing = set(REQUEST_COLUMNS) - set(self.requests.columns)
        if missing:
            raise ValueError(f"WorkPlan.requests lacks columns {sorted(missing)}")
        missing = set(TOPK_COLUMNS) - set(self.topk.columns)
        if missing:
            raise ValueError(f"WorkPlan.topk lacks columns {sorted(missing)}")
        self.requests = self.requests[list(REQUEST_COLUMNS)].astype(REQUEST_COLUMNS).reset_index(drop=True)
        self.topk = self.topk.astype(TOPK_COLUMNS).reset_index(drop=True)
        self.pass_sizes = np.asarray(self.pass_sizes, dtype=np.int32)
        for name, col in (("key_index", "keys"), ("value_index", "values")):
            idx = getattr(self, name)
            if idx is None:
                continue
            idx = np.asarray(idx, dtype=np.int32)
            if len(idx) != int(self.requests[col].sum()):
                raise ValueError(f"WorkPlan.{name} holds {len(idx)} rows, requests.{col} sums to "
                                 f"{int(self.requests[col].sum())}")
            setattr(self, name, idx)
        if self.query_rows is not None:
            self.query_rows = np.asarray(self.query_rows, dtype=np.int64)
            if len(self.query_rows) != int(self.requests["queries"].sum()):
                raise ValueError(f"WorkPlan.query_rows holds {len(self.query_rows)} queries, requests.queries "
                                 f"sums to {int(self.requests['queries'].sum())}")

    def rows_per_query(self) -> np.ndarray:
        """Key rows each query scores (:attr:`query_rows`, or each request's ``qk_rows`` spread evenly
        over its queries), concatenated in request order."""
        if self.query_rows is not None:
            return self.query_rows
        return even_spread(self.requests["qk_rows"].to_numpy(np.int64),
                           self.requests["queries"].to_numpy(np.int64))

    def rows_of(self, kind: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(token positions, start offset per request) of the ``keys`` or ``values`` each request
        fetches, or None when the plan does not know them."""
        idx = self.key_index if kind == "keys" else self.value_index
        if idx is None:
            return None
        counts = self.requests[kind].to_numpy(np.int64)
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
        return len(self.requests)

    @property
    def has_quality(self) -> bool:
        return bool(self.requests["mass_recall"].notna().any())

    def dram_bytes(self) -> dict[str, float]:
        """Bytes fetched from DRAM by class (hardware-independent arithmetic)."""
        key, lsb, value, side = request_bytes(self.requests)
        return {"key": float(key.sum()), "key_lsb": float(lsb.sum()), "value": float(value.sum()),
                "side": float(side.sum())}


def even_spread(total: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """``total[i]`` split into ``parts[i]`` integers as even as possible (larger ones first), concatenated."""
    owner = np.repeat(np.arange(len(parts)), parts)
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(parts) - parts, parts)
    base, extra = np.divmod(total, np.maximum(parts, 1))
    return base[owner] + (rank < extra[owner])


def request_bytes(r: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Bytes of each request's key, key-LSB, value and side fetches (low-precision rows included)."""
    d = r["d"].to_numpy(np.float64)
    lo = r["lo_bits"].to_numpy(np.float64)
    key = d * ((r["keys"] - r["lo_keys"]) * r["key_bits"] + r["lo_keys"] * lo).to_numpy(np.float64) / 8
    lsb = d * (r["lsb_keys"] * r["lsb_bits"]).to_numpy(np.float64) / 8
    value = d * ((r["values"] - r["lo_values"]) * r["value_bits"] + r["lo_values"] * lo).to_numpy(np.float64) / 8
    return key, lsb, value, r["side_bytes"].to_numpy(np.float64)


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

    def frame(self) -> tuple[pd.DataFrame, np.ndarray]:
        if not self._cols["request"]:
            return empty_frame(TOPK_COLUMNS), np.zeros(0, dtype=np.int32)
        df = pd.DataFrame({c: np.concatenate(v) for c, v in self._cols.items()})
        passes = np.concatenate(self._passes) if self._passes else np.zeros(0, np.int32)
        return df, passes
