"""Example hardware unit ``outquant``: an output requantizer after ProbxV.

Each attention output element leaves ProbxV's adder tree as a wide integer; this unit multiplies it by
a per-head scale, rounds and clamps it to ``bits`` bits, ``lanes`` elements per cycle, so the next
layer reads ``bits``-bit activations. A design has it when its hardware config has an ``outquant:``
block (``outquant: {}`` for the defaults below). The whole unit is this file: params, service time,
cost and place in the pipeline, tied by ``@register``.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, PositiveInt

from accelsim.config.base import Strict
from accelsim.hw.cost.units import Pricer, UnitCost
from accelsim.units import ItemWork, Unit, register

ACC_BITS = 30  # ProbxV's adder tree output: 2 x 12-bit operands + log2(64) levels (hw/cost/units.mul_array)
SCALE_BITS = 16  # fixed-point scale per head (assumption, as Q8BERT's symmetric linear quantization)


class OutQuantParams(Strict):
    """The ``hw.outquant`` block."""

    lanes: PositiveInt = 8
    """Elements requantized per cycle (assumption: one lane per softmax lane, SpAtten Sec. IV-C parallelism 8)."""
    bits: int = Field(8, ge=2, le=16)
    """Output width (Q8BERT, Zafrir et al. 2019: 8-bit activations)."""
    latency: int = Field(3, ge=0)
    """Pipeline cycles: scale multiply, round, clamp, one register each (derived)."""


@register
class OutQuant(Unit):
    """Scale, round and clamp each attention output element, ``lanes`` a cycle."""

    name = "outquant"
    params = OutQuantParams
    follows = "pv"
    consumes = "ProbxV's output rows: queries x d elements of ACC_BITS bits per item"
    produces = "the same elements at bits bits, to the next layer"

    def cycles(self, p: OutQuantParams, work: ItemWork) -> np.ndarray:
        return np.ceil(work.queries * work.d / p.lanes)

    def latency(self, p: OutQuantParams) -> float:
        return p.latency

    def cost(self, p: OutQuantParams, pricer: Pricer) -> UnitCost:
        lane = (
            pricer.logic("multiplier", ACC_BITS, SCALE_BITS)
            + pricer.logic("adder", p.bits)  # rounding
            + 2 * pricer.logic("comparator", p.bits)  # clamp at both ends
        )
        ff_bits = p.lanes * (ACC_BITS + SCALE_BITS + p.bits)  # the three pipeline registers
        regs = pricer.logic("register", ff_bits)
        parts = p.lanes * lane + regs
        elem = lane.pj + pricer.logic("register", ACC_BITS + SCALE_BITS + p.bits).pj
        return UnitCost("logic", parts.um2 * 1e-6, parts.leak_uw * 1e-6, regs.pj, {"elem": elem})

    def actions(self, p: OutQuantParams, counts: dict[str, float]) -> dict[str, float]:
        return {"elem": counts["out_elems"]}
