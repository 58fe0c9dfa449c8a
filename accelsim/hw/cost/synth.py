"""40 nm area and leakage of the top-k engines from yosys synthesis of their RTL.

``tables/synth_topk.yaml`` (written by ``accelsim rtl build topk --asic --record``) maps an entry
name (the engine, then every parameter as ``-name=value``, as in ``fpga_topk.yaml``) to the CMOS
gate count, flip-flop bits and the 40 nm area and leakage priced with
``tables/synth_calibration.yaml``. A lookup succeeds only for an entry whose engine and
parameters equal the query's; otherwise there is no synthesized cost and none is made up.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from accelsim.config.base import read_yaml, validate
from accelsim.hw.cost.components import TABLES
from accelsim.topk.base import TopKParams

SYNTH_TOPK_TABLE = TABLES / "synth_topk.yaml"


class SynthEntry(BaseModel):
    """One recorded synthesis run of one engine (per engine; a design has ``hw.topk.count``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    cells: dict[str, int]
    transistors: int
    logic_transistors: int
    ff_bits: int
    mem_bits: int
    memories: dict[str, int]
    area_um2: float
    leak_mw: float
    yosys: str
    date: str
    wall_s: float
    params: dict[str, int | None]
    source: str


class SynthTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    topk: dict[str, SynthEntry] = {}


@dataclasses.dataclass(frozen=True)
class SynthCost:
    """Synthesized 40 nm cost of one top-k engine."""

    area_um2: float
    leak_mw: float
    ff_bits: int
    """Flip-flops outside the memories."""
    memories: dict[str, int]
    """The RTL's memories, count per ``"<lines>x<width>"`` (SRAM macros on a chip; not in ``area_um2``)."""
    transistors: int
    source: str


@cache
def load_table(path: Path = SYNTH_TOPK_TABLE) -> SynthTable:
    """The table at ``path`` (empty when the file does not exist); a malformed table raises
    :class:`~accelsim.errors.InputError` naming the file and field."""
    if not path.exists():
        return SynthTable()
    return validate(SynthTable, read_yaml(path) or {}, path)


def synth_cost(engine: str, params: TopKParams, path: Path = SYNTH_TOPK_TABLE) -> SynthCost | None:
    """The recorded cost of ``engine`` at exactly ``params``, or None when there is no entry."""
    fields = dataclasses.asdict(params)
    for name, entry in load_table(path).topk.items():
        if name.split("-", 1)[0] == engine and entry.params == fields:
            return SynthCost(area_um2=entry.area_um2, leak_mw=entry.leak_mw,
                             ff_bits=entry.ff_bits, memories=entry.memories, transistors=entry.transistors,
                             source=f"{path.name}[{name}]: {entry.source}, {entry.date}")
    return None


__all__ = ["SYNTH_TOPK_TABLE", "SynthCost", "SynthEntry", "load_table", "synth_cost"]
