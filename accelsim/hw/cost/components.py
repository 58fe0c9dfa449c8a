"""Logic components (adders, multipliers, registers, ...) from the sourced 40 nm table, at any width
and technology node."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, NonNegativeFloat, PositiveFloat, PositiveInt

from accelsim.config.base import read_yaml, validate
from accelsim.hw.cost.scaling import area_factor, energy_factor

TABLES = Path(__file__).resolve().parents[1] / "tables"
LOGIC_TABLE = TABLES / "logic_40nm.yaml"


class Component(BaseModel):
    """One row of the table: costs at a reference width."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    width: PositiveInt
    energy_pj: NonNegativeFloat
    """Energy of one action (an add, a multiply, a compare, a register bit read or clocked)."""
    area_um2: PositiveFloat
    leak_uw: NonNegativeFloat
    scale: Literal["linear", "product"]
    """How costs grow with width: ``linear`` (w / width) or ``product`` (wa * wb / width^2)."""
    source: str


class LogicTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    node_nm: PositiveFloat
    components: dict[str, Component]


@dataclass(frozen=True)
class Cost:
    """Energy per action (pJ), area (um^2) and leakage (uW) of one instance."""

    pj: float
    um2: float
    leak_uw: float

    def __mul__(self, n: float) -> Cost:
        return Cost(self.pj * n, self.um2 * n, self.leak_uw * n)

    __rmul__ = __mul__

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.pj + other.pj, self.um2 + other.um2, self.leak_uw + other.leak_uw)


@cache
def logic_table(path: Path = LOGIC_TABLE) -> LogicTable:
    """The component table at ``path``; a malformed table raises InputError naming file and field."""
    return validate(LogicTable, read_yaml(path), path)


class Logic:
    """Components of the table at one technology node."""

    def __init__(self, node_nm: float, path: Path = LOGIC_TABLE) -> None:
        self.table = logic_table(path)
        self.area = area_factor(node_nm, self.table.node_nm)
        self.energy = energy_factor(node_nm, self.table.node_nm)

    def __call__(self, name: str, width: float = 1, width_b: float | None = None) -> Cost:
        """One ``name`` component of ``width`` bits (a multiplier: ``width`` x ``width_b``)."""
        c = self.table.components[name]
        wide = width * (width if width_b is None else width_b) / c.width if c.scale == "product" else width
        s = wide / c.width
        return Cost(c.energy_pj * s * self.energy, c.area_um2 * s * self.area, c.leak_uw * s * self.energy)
