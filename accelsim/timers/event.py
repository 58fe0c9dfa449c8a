"""The event engine (``accelsim.sim.engine``): the reference timing."""

from __future__ import annotations

from pathlib import Path

from accelsim import api
from accelsim.config.hardware import Hardware
from accelsim.timers.base import Timed, Timer, register
from accelsim.workplan import WorkPlan


@register
class EventTimer(Timer):
    """Every work item and top-k job through simpy resources; logs its DRAM transfers."""

    name = "event"
    dram_trace = True

    def time(
        self, hw: Hardware, prepared: WorkPlan, workload: str = "", dram_trace: tuple[Path, str] | None = None
    ) -> Timed:
        result, timeline = api.simulate(hw, prepared, workload=workload, dram_trace=dram_trace)
        return Timed(result, dram=timeline.dram_frame)  # built if a report reads it
