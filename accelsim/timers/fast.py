"""The fast path (``accelsim.sim.fast``): the event engine's rules as one pass, for sweeps."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from accelsim import api
from accelsim.config.hardware import Hardware
from accelsim.errors import InputError
from accelsim.timers.base import Timed, Timer, register
from accelsim.workplan import WorkPlan

if TYPE_CHECKING:
    from accelsim.sim.fast import FastModel
    from accelsim.sim.result import FlatRows


@register
class FastTimer(Timer):
    """The plan's hardware-independent facts once (:class:`FastModel`), then a pass per hardware
    point; bandwidth DRAM model only."""

    name = "fast"

    def prepare(self, plan: WorkPlan) -> FastModel:
        from accelsim.sim.fast import FastModel  # numba: on use only

        return FastModel(plan)

    def time(
        self, hw: Hardware, prepared: FastModel, workload: str = "", dram_trace: tuple[Path, str] | None = None
    ) -> Timed:
        return Timed(api.simulate_fast(hw, prepared, workload=workload))

    def warm(self, hws: Sequence[Hardware], prepared: FastModel) -> None:
        """Each point checked and prepared (``api.prepare_fast``): the model's tables and the unit costs."""
        api.prepare_fast(hws, prepared, [None] * len(hws))

    def time_many(self, hws: Sequence[Hardware], prepared: FastModel, workload: str = "") -> list[Timed | InputError]:
        """Every point in one kernel call (``api.simulate_fast_many``)."""
        return [r if isinstance(r, InputError) else Timed(r) for r in api.simulate_fast_many(hws, prepared, workload)]

    def flat_many(self, hws: Sequence[Hardware], prepared: FastModel, workload: str = "") -> FlatRows:
        """Every point in one kernel call, as rows (``api.simulate_fast_flat``: no SimResult built)."""
        return api.simulate_fast_flat(hws, prepared, workload)
