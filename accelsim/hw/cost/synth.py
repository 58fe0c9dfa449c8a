"""40 nm area and leakage of the top-k engines from yosys synthesis of their RTL.

``tables/synth_topk.yaml`` (written by ``accelsim rtl build topk --asic --record``) maps an entry
name (the engine, then every parameter as ``-name=value``, as in ``fpga_topk.yaml``) to the CMOS
gate count, flip-flop bits and the 40 nm area and leakage priced with
``tables/synth_calibration.yaml``. A lookup succeeds only for an entry whose engine and
parameters equal the query's; otherwise there is no synthesized cost and none is made up.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from accelsim.hw.cost.components import TABLES
from accelsim.hw.rtl_tables import find_entry, load_rtl_table
from accelsim.topk.base import TopKParams

SYNTH_TOPK_TABLE = TABLES / "synth_topk.yaml"


class SynthEntry(BaseModel):
    """One recorded synthesis run of one engine (per engine; a design has ``hw.topk.count``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    cells: dict[str, int]
    transistors: int
    logic_transistors: int
    ff_bits: int
    """Flip-flops outside the memories."""
    mem_bits: int
    memories: dict[str, int]
    """The RTL's memories, count per ``"<lines>x<width>"`` (SRAM macros on a chip; not in ``area_um2``)."""
    area_um2: float
    """40 nm area of the logic and flip-flops."""
    leak_mw: float
    yosys: str
    date: str
    wall_s: float
    params: dict[str, int | None]
    source: str


class SynthTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    topk: dict[str, SynthEntry] = {}


def load_table(path: Path = SYNTH_TOPK_TABLE) -> SynthTable:
    """The table at ``path`` (empty when the file does not exist)."""
    return load_rtl_table(SynthTable, path)


def synth_cost(engine: str, params: TopKParams, path: Path = SYNTH_TOPK_TABLE) -> SynthEntry | None:
    """The recorded cost of one ``engine`` at exactly ``params``, or None when there is no entry."""
    found = find_entry(load_table(path).topk, engine, params)
    return None if found is None else found[1]


SYNTH_UNITS_TABLE = TABLES / "synth_units.yaml"


class UnitSynthTable(BaseModel):
    """``tables/synth_units.yaml`` (written by ``accelsim rtl build softmax|requant --asic --record``): per
    unit, entries named like ``synth_topk.yaml``'s."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    softmax: dict[str, SynthEntry] = {}
    requant: dict[str, SynthEntry] = {}


def unit_synth_cost(unit: str, params: BaseModel, path: Path = SYNTH_UNITS_TABLE) -> SynthEntry | None:
    """The recorded cost of ``unit`` (``softmax`` or ``requant``) at exactly ``params``, or None."""
    found = find_entry(getattr(load_rtl_table(UnitSynthTable, path), unit), unit, params)
    return None if found is None else found[1]
