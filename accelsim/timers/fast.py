"""The fast path (``accelsim.sim.fast``): the event engine's rules as one pass, for sweeps."""

from __future__ import annotations

from pathlib import Path

from accelsim import api
from accelsim.config.hardware import Hardware
from accelsim.sim.fast import FastModel
from accelsim.timers.base import Timed, Timer, register
from accelsim.workplan import WorkPlan


@register
class FastTimer(Timer):
    """The plan's hardware-independent facts once (:class:`FastModel`), then a pass per hardware
    point; bandwidth DRAM model only."""

    name = "fast"

    def prepare(self, plan: WorkPlan) -> FastModel:
        return FastModel(plan)

    def time(
        self, hw: Hardware, prepared: FastModel, workload: str = "", dram_trace: tuple[Path, str] | None = None
    ) -> Timed:
        return Timed(api.simulate_fast(hw, prepared, workload=workload))
