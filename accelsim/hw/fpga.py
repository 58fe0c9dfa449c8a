"""Measured FPGA cost of the top-k engines, from the table ``accelsim rtl build --record`` writes.

``tables/fpga_topk.yaml`` maps an entry name (the engine, then every parameter as
``-name=value``) to the LUTs, flip-flops, block RAMs, DSPs and fmax that synthesis and place
and route reported for that engine's RTL behind its UART host interface, on a board. A design
point gets the cost of the entry whose engine and parameters equal its own; with no such entry
there is no measured cost and none is made up.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from accelsim.config.hardware import Hardware
from accelsim.hw.cost.components import TABLES
from accelsim.hw.rtl_tables import find_entry, load_rtl_table
from accelsim.hw.units import topk_params
from accelsim.topk import TopKParams

FPGA_TOPK_TABLE = TABLES / "fpga_topk.yaml"


class FpgaCost(BaseModel):
    """One top-k engine's measured FPGA cost (per engine; a design has ``hw.topk.count`` of them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    luts: int
    """LUTs (iCE40: SB_LUT4 after synthesis; ECP5: TRELLIS_COMB slots placed)."""
    ffs: int
    brams: int
    """Block RAMs (iCE40: 4 Kbit; ECP5: 18 Kbit DP16KD)."""
    dsps: int
    fmax_mhz: float
    """nextpnr's fmax of the board clock domain."""
    target_mhz: float
    """The board clock nextpnr was constrained to."""
    device: str
    board: str
    params: dict[str, int | None]
    source: str


FPGA_COLUMNS = ("luts", "ffs", "brams", "dsps", "fmax_mhz", "target_mhz", "device", "board")
"""The measured fields of :class:`FpgaCost`: what ``accelsim rtl build --record`` writes per entry
and the ``topk_fpga_*`` columns of a result row."""


class FpgaTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    topk: dict[str, FpgaCost] = {}


def load_table(path: Path = FPGA_TOPK_TABLE) -> FpgaTable:
    """The cost table at ``path`` (empty when the file does not exist)."""
    return load_rtl_table(FpgaTable, path)


def topk_fpga_cost(hw: Hardware, path: Path = FPGA_TOPK_TABLE) -> FpgaCost | None:
    """Measured cost of one of ``hw``'s top-k engines, or None when the table has no entry for its
    engine and parameters (or the design has no top-k engine)."""
    if hw.topk.count == 0:
        return None
    try:
        params = topk_params(hw)
    except ValueError:
        return None  # parameters no engine can be built with have no measured cost either
    return _lookup(path, hw.topk.engine, params)


@lru_cache(maxsize=1024)
def _lookup(path: Path, engine: str, params: TopKParams) -> FpgaCost | None:
    """:func:`topk_fpga_cost` by engine and params, cached as the table is (``load_rtl_table``): a
    sweep's points share a few, and searching the table costs more than timing a point."""
    found = find_entry(load_table(path).topk, engine, params)
    return None if found is None else found[1]
