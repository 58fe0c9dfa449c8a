"""Test plug-in unit ``vscale``, after ProbxV: it reads a per-channel fp16 scale vector of each item's
head from DRAM (``d`` x 2 bytes, ``copies`` times: one per output tile it rescales) and multiplies the
attention output by it, ``lanes`` elements a cycle. Covers the DRAM-read hook (``Unit.dram``) and an
input queue; loaded by ``tests/units/test_hooks.py`` from a hardware YAML's ``plugins:``."""

from __future__ import annotations

import numpy as np
from pydantic import Field, PositiveInt

from accelsim.config.base import Strict
from accelsim.hw.cost.units import Pricer, UnitCost
from accelsim.units import ItemWork, Unit, register

SCALE_BYTES = 2  # fp16 scales (assumption, as per-channel SmoothQuant-style scales)


class VScaleParams(Strict):
    """The ``hw.vscale`` block."""

    lanes: PositiveInt = 8
    """Elements scaled per cycle (one per softmax lane: SpAtten Sec. IV-C, parallelism 8)."""
    copies: PositiveInt = 1
    """Scale vectors read per item (assumption: one per head)."""
    queue: int = Field(0, ge=0)
    """Items its input holds (0: unbounded; assumption)."""


@register
class VScale(Unit):
    """Multiply each output element by its channel's scale, read from DRAM."""

    name = "vscale"
    params = VScaleParams
    follows = "pv"
    consumes = "ProbxV's output rows and a scale vector from DRAM"
    produces = "the scaled rows"

    def cycles(self, p: VScaleParams, work: ItemWork) -> np.ndarray:
        return np.ceil(work.queries * work.d / p.lanes)

    def latency(self, p: VScaleParams) -> float:
        return 2

    def dram(self, p: VScaleParams, work: ItemWork) -> tuple[np.ndarray, np.ndarray]:
        return p.copies * work.d * SCALE_BYTES, np.zeros_like(work.d)

    def queue(self, p: VScaleParams) -> int:
        return p.queue

    def cost(self, p: VScaleParams, pricer: Pricer) -> UnitCost:
        lane = pricer.logic("multiplier", 16, 16)
        parts = p.lanes * lane
        return UnitCost("logic", parts.um2 * 1e-6, parts.leak_uw * 1e-6, 0.0, {"elem": lane.pj})

    def actions(self, p: VScaleParams, counts: dict[str, float]) -> dict[str, float]:
        return {"elem": counts["out_elems"]}
