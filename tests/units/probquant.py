"""Test plug-in unit ``probquant``, after scoring: it re-quantizes each item's attention probabilities
to ``bits`` bits before the value top-k reads them, ``lanes`` scores per cycle. Loaded by the tests
from a hardware YAML's ``plugins:``; the example package's ``outquant`` covers the other place."""

from __future__ import annotations

import numpy as np
from pydantic import Field, PositiveInt

from accelsim.config.base import Strict
from accelsim.hw.cost.units import Pricer, UnitCost
from accelsim.units import ItemWork, Unit, register

PROB_BITS = 32  # softmax's fp32 probabilities (hw/cost/units.SOFTMAX_FP)


class ProbQuantParams(Strict):
    """The ``hw.probquant`` block."""

    lanes: PositiveInt = 8
    """Scores per cycle (one per softmax lane: SpAtten Sec. IV-C, parallelism 8)."""
    bits: int = Field(8, ge=2, le=16)
    """Output width (assumption: 8-bit probabilities, as SpAtten's top-k comparators' inputs)."""
    latency: int = Field(2, ge=0)
    """Pipeline cycles: scale and round, clamp (derived)."""


@register
class ProbQuant(Unit):
    """Scale, round and clamp each probability, ``lanes`` a cycle."""

    name = "probquant"
    params = ProbQuantParams
    follows = "qk"
    consumes = "the item's probabilities from softmax, fp32"
    produces = "the same at bits bits, to the value top-k"

    def cycles(self, p: ProbQuantParams, work: ItemWork) -> np.ndarray:
        return np.ceil(work.scores / p.lanes)

    def latency(self, p: ProbQuantParams) -> float:
        return p.latency

    def cost(self, p: ProbQuantParams, pricer: Pricer) -> UnitCost:
        lane = pricer.logic("fp32_mult") + 2 * pricer.logic("comparator", p.bits)
        regs = pricer.logic("register", p.lanes * (PROB_BITS + p.bits))
        parts = p.lanes * lane + regs
        return UnitCost("logic", parts.um2 * 1e-6, parts.leak_uw * 1e-6, regs.pj, {"score": lane.pj})

    def actions(self, p: ProbQuantParams, counts: dict[str, float]) -> dict[str, float]:
        return {"score": counts["scores"]}
