"""Technology tables: per-operation energy and per-unit area, one YAML per node."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

TABLES = Path(__file__).parent / "tables"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnergyPJ(_Frozen):
    mult12: float
    add_tree: float
    softmax_elem: float
    compare12: float
    fifo_bit: float
    sram_64b: float


class AreaUM2(_Frozen):
    mult12: float
    add_tree: float
    softmax_lane: float
    compare12: float
    ff_bit: float
    sram_bit: float


class Tech(_Frozen):
    energy_pj: EnergyPJ
    area_um2: AreaUM2


@cache
def tech_table(node_nm: int) -> Tech:
    """The shipped table of ``node_nm``."""
    return Tech.model_validate(yaml.safe_load((TABLES / f"tech_{node_nm}nm.yaml").read_text()))
