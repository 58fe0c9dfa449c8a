"""The SpAtten authors' behaviour model (bert.cpp, ``accelsim.sim.behavioural``; docs/behavioural.md)."""

from __future__ import annotations

from pathlib import Path

from accelsim import api
from accelsim.config.hardware import Hardware
from accelsim.timers.base import Timed, Timer, register
from accelsim.workplan import WorkPlan


@register
class BehaviouralTimer(Timer):
    """DRAM, pipeline fill, drain and top-k added serially per layer; a per-layer breakdown."""

    name = "spatten-behavioural"

    def time(
        self, hw: Hardware, prepared: WorkPlan, workload: str = "", dram_trace: tuple[Path, str] | None = None
    ) -> Timed:
        result, layers = api.simulate_behavioural(hw, prepared, workload=workload)
        return Timed(result, layers=layers)
