"""SimResult: the typed outcome of one run, as JSON and as one flat table row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from accelsim.errors import InputError
from accelsim.hw.fpga import FPGA_COLUMNS, FpgaCost
from accelsim.rows import Rows


class LayerQuality(BaseModel):
    model_config = ConfigDict(extra="forbid")
    layer: int
    mass_recall: float
    out_err: float


class Quality(BaseModel):
    """Quality proxies averaged over requests (attention-mass recall, relative output error, top-k
    recall against exact top-k of full attention)."""

    model_config = ConfigDict(extra="forbid")
    mass_recall: float
    out_err: float
    topk_recall: float | None = None
    per_layer: list[LayerQuality]


class SimResult(BaseModel):
    """Timing, traffic, energy and area of one WorkPlan on one hardware config."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)
    hardware: str
    policy: str
    workload: str
    cycles: float
    """Core clock cycles of the run."""
    seconds: float
    """Run time: cycles / clock."""
    ops: float
    """Executed arithmetic operations: 2 per multiply-accumulate in QxK (incl. recompute) and ProbxV."""
    gops: float
    """Executed operations per second, in GOP/s."""
    dram_bytes: float
    """Bytes fetched from DRAM."""
    dram_bytes_by: dict[str, float]
    bandwidth_bound_cycles: float
    """DRAM bytes / peak bytes per cycle: no schedule can finish sooner."""
    energy_j: float
    """Total energy, DRAM included: dynamic + static."""
    energy_dynamic_j: float
    """Energy of actions: arithmetic, SRAM and FIFO accesses, crossbar transfers, DRAM accesses."""
    energy_static_j: float
    """Leakage and clock power of every on-chip unit, and DRAM standby (bandwidth model), x run time."""
    energy_by: dict[str, float]
    """Energy per unit, dynamic and static."""
    energy_static_by: dict[str, float]
    power_w: float
    """Average power: energy / run time (DRAM included)."""
    area_mm2: float
    """On-chip area (DRAM off chip), the layout factor included."""
    area_by: dict[str, float]
    actions_by: dict[str, float]
    """Action counts per unit (``<unit>_<action>``: SRAM line reads/writes per macro, MACs, top-k
    item visits, softmax elements, fetcher beats and transactions, DRAM bursts), to re-price."""
    requests: int
    """Requests (step, layer, head) of the WorkPlan."""
    topk_jobs: int
    """Top-k jobs of the WorkPlan."""
    busy_by: dict[str, float]
    """Cycles each unit worked: DRAM transferring, QxK and ProbxV computing, a top-k engine's
    selection stage reading its input (including input hidden under QxK) and selecting (output passes
    overlap the next job). The behavioural timer (``--timing spatten-behavioural``) fills it with its
    own serial terms instead: dram, fill, drain, topk."""
    stall_by: dict[str, float]
    """Cycles each unit was held stalled on input: QxK or ProbxV waiting for DRAM data (before its
    first beat, and where it streams in slower than the unit computes). Empty for the behavioural
    timer."""
    blocked_by: dict[str, float]
    """Cycles each unit was held blocked on output: a top-k selection stage holding a selected job
    until the engine's output stage frees. A unit's ``busy_by + stall_by + blocked_by`` is the time it
    was held. Empty for the behavioural timer."""
    quality: Quality | None = None
    dram_row_hit_rate: float | None = None
    """Row-buffer hit rate (bank-aware DRAM model only)."""
    topk_fpga: FpgaCost | None = None
    """Measured FPGA cost of one top-k engine (``accelsim rtl build --record``), when the cost table
    has an entry for this design's engine and parameters; None otherwise."""

    def flat(self) -> dict[str, Any]:
        """One table row: scalars, with dict fields spread as ``<field>_<key>`` columns."""
        return flat_row(self.__dict__)  # the fields as they are: model_dump would copy every dict first


def flat_row(values: dict[str, Any]) -> dict[str, Any]:
    """:meth:`SimResult.flat` of the result whose fields are ``values`` (each one, as they would be
    held), without building the result."""
    row: dict[str, Any] = {}
    for key in _SCALARS:
        val = values[key]
        if val is None:
            continue
        if type(val) is dict:
            names = _SPREAD.get((key, *val))
            if names is None:
                names = _SPREAD[(key, *val)] = tuple(f"{key}_{k}" for k in val)
            row.update(zip(names, val.values(), strict=True))
        else:
            row[key] = val
    fpga = values["topk_fpga"]
    for col, name in _FPGA:  # always present, so a table says where no cost was measured
        row[name] = None if fpga is None else getattr(fpga, col)
    quality = values["quality"]
    if quality is not None:
        row["quality_mass_recall"] = quality.mass_recall
        row["quality_out_err"] = quality.out_err
        row["quality_topk_recall"] = quality.topk_recall
    return row


@dataclass(frozen=True)
class FlatRows:
    """The table rows (:meth:`SimResult.flat`) of many points' results: as columns (``table``) where
    every point ran and has the same columns, else a row per point (the InputError of one that could
    not run)."""

    rows: list[dict[str, Any] | InputError] | None = None
    table: Rows | None = None

    @classmethod
    def of(cls, fields: Sequence[dict[str, Any] | InputError]) -> FlatRows:
        """The rows of the results whose fields are each of ``fields`` (:func:`flat_row`), or its InputError."""
        if fields and not any(isinstance(f, InputError) for f in fields):
            cols = flat_columns(fields)  # type: ignore[arg-type]
            if cols is not None:
                return cls(None, Rows(*cols, len(fields)))
        return cls([f if isinstance(f, InputError) else flat_row(f) for f in fields])


def flat_columns(fields: Sequence[dict[str, Any]]) -> tuple[tuple[str, ...], tuple[tuple[Any, ...], ...]] | None:
    """:func:`flat_row` of each of ``fields`` as columns (names, a tuple of values per column), or None
    when their rows do not all have the same columns."""
    names: list[str] = []
    cols: list[tuple[Any, ...]] = []
    for key in _SCALARS:
        vals = [f[key] for f in fields]
        first = vals[0]
        if first is None:
            if any(v is not None for v in vals):
                return None
        elif type(first) is dict:
            keys = tuple(first)
            if any(type(v) is not dict or tuple(v) != keys for v in vals):
                return None
            spread = _SPREAD.get((key, *keys))
            if spread is None:
                spread = _SPREAD[(key, *keys)] = tuple(f"{key}_{k}" for k in keys)
            names.extend(spread)
            cols.extend(zip(*(v.values() for v in vals), strict=True) if keys else ())
        else:
            if any(v is None or type(v) is dict for v in vals):
                return None
            names.append(key)
            cols.append(tuple(vals))
    fpga = [f["topk_fpga"] for f in fields]
    for col, name in _FPGA:
        names.append(name)
        cols.append(tuple(None if v is None else getattr(v, col) for v in fpga))
    quality = [f["quality"] for f in fields]
    if any((q is None) != (quality[0] is None) for q in quality):
        return None
    if quality[0] is not None:
        names += ["quality_mass_recall", "quality_out_err", "quality_topk_recall"]
        cols += [
            tuple(q.mass_recall for q in quality),
            tuple(q.out_err for q in quality),
            tuple(q.topk_recall for q in quality),
        ]
    return tuple(names), tuple(cols)


_SCALARS = tuple(k for k in SimResult.model_fields if k not in ("quality", "topk_fpga"))
"""The fields :meth:`SimResult.flat` spreads or copies, in order."""
_FPGA = tuple((col, f"topk_fpga_{col}") for col in FPGA_COLUMNS)
_SPREAD: dict[tuple[str, ...], tuple[str, ...]] = {}
"""Column names of a dict field by (field, its keys): results share a few key sets."""
