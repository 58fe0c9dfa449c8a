"""Energy (dynamic and static) and area of one run: unit costs x action counts, leakage and clock
power x run time, and the fitted overhead factors of ``tables/cost_fit.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, PositiveFloat

from accelsim.config.base import read_yaml, validate
from accelsim.config.hardware import Hardware
from accelsim.errors import InputError
from accelsim.hw.cost.actions import actions
from accelsim.hw.cost.components import TABLES
from accelsim.hw.cost.units import unit_costs
from accelsim.hw.dram.spec import load_dram

FIT_TABLE = TABLES / "cost_fit.yaml"


class Overheads(BaseModel):
    """One factor per category, fitted once on the full SpAtten design (``scripts/fit_cost.py``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    logic: PositiveFloat
    """Logic energy (dynamic and static) x this: control, clock tree and wiring the components lack."""
    sram: PositiveFloat
    """SRAM and FIFO energy x this: banking, wiring and peripheral logic around the macros."""
    layout: PositiveFloat
    """Total area x this: place-and-route utilisation, crossbar wiring, control, I/O."""
    fitted_on: str
    """What the factors were fitted on, and to which numbers."""


@cache
def overheads(path: Path = FIT_TABLE) -> Overheads:
    """The fitted factors (all 1 when the table does not exist yet)."""
    if not path.exists():
        return Overheads(logic=1.0, sram=1.0, layout=1.0, fitted_on="not fitted")
    return validate(Overheads, read_yaml(path), path)


def check_timing(hw: Hardware) -> None:
    """InputError when an SRAM macro of ``hw`` cannot cycle at its clock."""
    name, unit = max(unit_costs(hw).items(), key=lambda kv: kv[1].cycle_ns)
    period = 1.0 / hw.clock_ghz
    if unit.cycle_ns > period:
        raise InputError(None, "hardware.sram.cell",
                         f"the {name} unit's {hw.sram.cell} SRAM macros cycle in {unit.cycle_ns:.2f} ns, slower "
                         f"than the {hw.clock_ghz:g} GHz clock ({period:.2f} ns): use faster cells, a slower clock "
                         "or smaller buffers")


def dram_standby_w(hw: Hardware) -> float:
    """Precharge-standby power of ``hw``'s DRAM for the bandwidth model: every device of the
    ``dram.preset`` standard at ``VDD x IDD2N`` (as the bank model charges an idle rank), for the
    share of that standard's bandwidth the design provisions (``dram.peak_gbs``)."""
    watts, peak_gbs = _standby(hw.dram.preset)
    return watts * hw.dram.peak_gbs / peak_gbs


@cache
def _standby(preset: str) -> tuple[float, float]:
    """(standby power of every device of the ``preset`` standard, its peak GB/s), cached per preset:
    a sweep's points share it, and parsing the standard's YAML costs more than timing a point."""
    spec = load_dram(preset)
    o, p = spec.organisation, spec.power
    devices = o.channels * o.ranks * max(o.bus_width // o.device_width, 1)
    return devices * p.VDD * p.IDD2N * 1e-3, spec.peak_gbs


@dataclass(frozen=True)
class Costs:
    """Energy in joules and area in mm^2 per unit, and the action counts that priced them."""

    dynamic_by: dict[str, float]
    static_by: dict[str, float]
    area_by: dict[str, float]
    actions_by: dict[str, float]

    @property
    def energy_by(self) -> dict[str, float]:
        return {k: v + self.static_by.get(k, 0.0) for k, v in self.dynamic_by.items()}


DRAM_STATIC = ("background", "refresh")
"""Parts of the bank model's DRAM energy that accrue with time, not with accesses."""


def costs(hw: Hardware, counts: dict[str, float], dram_bytes: float, cycles: float,
          dram_energy_pj: dict[str, float] | None = None, fit: Overheads | None = None) -> Costs:
    """Costs of a run of ``cycles`` on ``hw`` that did ``counts`` (``op_counts``) and moved
    ``dram_bytes``; ``dram_energy_pj`` (the bank model's energy by component) replaces bytes x
    ``dram.pj_per_bit`` and the standby estimate."""
    fit = overheads() if fit is None else fit
    units = unit_costs(hw)
    acts = actions(counts, dram_bytes, hw)
    seconds = cycles / (hw.clock_ghz * 1e9)
    if dram_energy_pj is None:  # bandwidth model: access energy per bit, standby power x time
        dynamic = {"dram": dram_bytes * 8 * hw.dram.pj_per_bit * 1e-12}
        static = {"dram": dram_standby_w(hw) * seconds}
    else:
        static = {"dram": sum(dram_energy_pj.get(k, 0.0) for k in DRAM_STATIC) * 1e-12}
        dynamic = {"dram": sum(dram_energy_pj.values()) * 1e-12 - static["dram"]}
    area = {}
    for name, u in units.items():
        f = fit.logic if u.kind == "logic" else fit.sram
        dynamic[name] = f * 1e-12 * sum(acts[f"{name}_{a}"] * pj for a, pj in u.action_pj.items())
        static[name] = f * (u.leak_w + u.clock_pj * 1e-12 * hw.clock_ghz * 1e9) * seconds
        area[name] = u.area_mm2 * fit.layout
    return Costs(dynamic, static, area, acts)

