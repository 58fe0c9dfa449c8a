"""The stat dictionary: every result column's unit and meaning (``accelsim describe``; also in the
metadata of every Parquet part a sweep writes, key ``accelsim.stats``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Literal

from accelsim.sim.result import SimResult

UNITS = {
    "cycles": "cycle", "seconds": "s", "ops": "op", "gops": "GOP/s", "dram_bytes": "B",
    "bandwidth_bound_cycles": "cycle", "energy_j": "J", "energy_dynamic_j": "J", "energy_static_j": "J",
    "power_w": "W", "area_mm2": "mm2", "requests": "request", "topk_jobs": "job", "dram_row_hit_rate": "1",
    "quality_mass_recall": "1", "quality_out_err": "1", "quality_topk_recall": "1",
}
PREFIXES = {  # dict fields of SimResult spread as <field>_<key> columns: (unit, description of <key>)
    "dram_bytes_by_": ("B", "DRAM bytes fetched for {}"),
    "energy_by_": ("J", "energy of unit {} (dynamic + static)"),
    "energy_static_by_": ("J", "leakage and clock energy of unit {}"),
    "area_by_": ("mm2", "area of unit {} (with the layout factor)"),
    "busy_by_": ("cycle", "cycles unit {} worked (not waiting for input or output)"),
    "stall_by_": ("cycle", "cycles unit {} was held stalled on input (waiting for DRAM data)"),
    "blocked_by_": ("cycle", "cycles unit {} was held blocked on output (waiting for its next stage)"),
    "actions_by_": ("action", "count of action {} (<unit>_<action>)"),
    "topk_fpga_": ("", "measured FPGA cost of one top-k engine: {}"),
}
QUALITY = {
    "quality_mass_recall": "attention mass (full attention) on the kept value rows, mean over requests",
    "quality_out_err": "relative output error ||o_S - o|| / ||o|| against full attention, mean over requests",
    "quality_topk_recall": "recall of the exact top-k of full attention, mean over requests",
}
HIGHER_IS_BETTER = frozenset({"gops", "dram_row_hit_rate", "quality_mass_recall", "quality_topk_recall"})
"""Metrics an objective maximises unless told otherwise (throughput, hit rate, recall); every other
column (cycles, energy, area, traffic, output error, ...) is minimised."""
Direction = Literal["min", "max"]


def direction(column: str) -> Direction:
    """The default direction of an objective on ``column``: ``max`` for ``HIGHER_IS_BETTER``, else ``min``."""
    return "max" if column in HIGHER_IS_BETTER else "min"


def describe(column: str) -> dict[str, str] | None:
    """Unit and description of a result column, or None for a column that is not a metric."""
    fields = SimResult.model_fields
    if column in fields and column in UNITS:
        return {"unit": UNITS[column], "description": _doc(column)}
    if column in QUALITY:
        return {"unit": UNITS[column], "description": QUALITY[column]}
    for prefix, (unit, text) in PREFIXES.items():
        if column.startswith(prefix):
            return {"unit": unit, "description": text.format(column[len(prefix):])}
    return None


def stat_dictionary(columns: Iterable[str]) -> dict[str, dict[str, str]]:
    """``describe`` of every metric column among ``columns``."""
    return {c: d for c in columns if (d := describe(c)) is not None}


def metadata(columns: Iterable[str]) -> dict[bytes, bytes]:
    """The Parquet schema metadata entry carrying the stat dictionary."""
    return {b"accelsim.stats": json.dumps(stat_dictionary(columns)).encode()}


def _doc(field: str) -> str:
    return " ".join((SimResult.model_fields[field].description or field.replace("_", " ")).split())
