"""Example hardware unit ``kvwrite``: a KV-cache write-back unit after ProbxV.

Each work item appends its queries' new key and value rows (one of each per query and head, ``d``
elements each) to the KV cache in HBM. This unit takes them as the item leaves ProbxV, scales, rounds
and clamps them to ``bits`` bits, ``lanes`` elements per cycle, into a write buffer of ``lines``
lines of one DRAM transaction each, and writes them to DRAM. It uses all three hooks of
``accelsim.units.Unit`` besides a pipelined stage's: the write buffer is its on-chip storage
(``buffer``), the rows are DRAM writes (``dram``), and when the buffer holds ``queue`` items ProbxV
keeps the next one and stalls (``queue``). A design has it when its hardware config has a ``kvwrite:``
block (``kvwrite: {}`` for the defaults below); the whole unit is this file, its RTL (the quantizer
pipeline, checked against :func:`quantize` and :meth:`KvWrite.cycles`) ``kvwrite_rtl.py``.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, PositiveInt, model_validator

from accelsim.config.base import Strict
from accelsim.hw.cost.units import Pricer, UnitCost
from accelsim.units import ItemWork, Unit, register

IN_BITS = 16  # the K/V projection's output, 16 bits (GPT-2 and BERT run attention in fp16 on GPUs); here fixed-point
SCALE_BITS = 16  # fixed-point scale per head (assumption, as Q8BERT's symmetric linear quantization)
SCALE_FRAC = 12  # fraction bits of the scale: unsigned Q4.12, scales 0 to 16 (assumption)
LINE_BYTES = 32  # a write-buffer line: one DRAM transaction (the presets' dram.transaction_bytes: SpAtten RTL, 32 B)
ENTRY_D = 64  # head dimension an entry of the buffer is sized for (GPT-2 small, BERT-base: d = 64)


class KvWriteParams(Strict):
    """The ``hw.kvwrite`` block."""

    lanes: PositiveInt = 8
    """Elements quantized per cycle (assumption: one lane per softmax lane, SpAtten Sec. IV-C parallelism 8)."""
    bits: int = Field(12, ge=2, le=16)
    """Width the rows are stored at (SpAtten Sec. IV-B: 12-bit keys and values, MSB and LSB planes)."""
    lines: PositiveInt = 64
    """Write-buffer lines (assumption: as deep as the fetcher's response FIFOs, SpAtten Sec. IV-A: 64)."""
    latency: int = Field(3, ge=0)
    """Pipeline cycles: scale multiply, round, clamp, one register each (derived)."""

    @model_validator(mode="after")
    def _holds_an_entry(self) -> KvWriteParams:
        if self.lines < _entry_lines(self.bits):
            raise ValueError(
                f"lines must hold one decode step's rows ({_entry_lines(self.bits)} lines at "
                f"{self.bits} bits), not {self.lines}"
            )
        return self


def quantize(x: np.ndarray, scale: np.ndarray | int, p: KvWriteParams) -> np.ndarray:
    """The unit's output codes (bit-exact with its RTL): ``x`` (``IN_BITS``-bit two's complement) times
    ``scale`` (unsigned, ``SCALE_FRAC`` fraction bits), rounded half up, clamped to signed ``p.bits`` bits."""
    prod = np.asarray(x, np.int64) * np.asarray(scale, np.int64)
    top = 1 << (p.bits - 1)
    return np.clip((prod + (1 << (SCALE_FRAC - 1))) >> SCALE_FRAC, -top, top - 1)


def _entry_lines(bits: int) -> int:
    """Lines one decode item's key and value rows take at ``ENTRY_D`` elements each."""
    return -(-2 * ENTRY_D * bits // (8 * LINE_BYTES))


@register
class KvWrite(Unit):
    """Quantize each item's new key and value rows, ``lanes`` elements a cycle, and write them to DRAM."""

    name = "kvwrite"
    params = KvWriteParams
    follows = "pv"
    consumes = "the item's new key and value rows: 2 x queries x d elements of IN_BITS bits"
    produces = "the same at bits bits, written to the KV cache in DRAM"
    rtl = "accelsim_example_plugins.kvwrite_rtl"

    def cycles(self, p: KvWriteParams, work: ItemWork) -> np.ndarray:
        return np.ceil(2 * work.queries * work.d / p.lanes)

    def latency(self, p: KvWriteParams) -> float:
        return p.latency

    def buffer(self, p: KvWriteParams) -> tuple[int, int]:
        return p.lines, 8 * LINE_BYTES

    def dram(self, p: KvWriteParams, work: ItemWork) -> tuple[np.ndarray, np.ndarray]:
        written = 2 * work.queries * work.d * p.bits / 8
        return np.zeros_like(written), written

    def queue(self, p: KvWriteParams) -> int:
        return p.lines // _entry_lines(p.bits)

    def cost(self, p: KvWriteParams, pricer: Pricer) -> UnitCost:
        lane = (
            pricer.logic("multiplier", IN_BITS, SCALE_BITS)
            + pricer.logic("adder", p.bits)  # rounding
            + 2 * pricer.logic("comparator", p.bits)  # clamp at both ends
        )
        ff_bits = p.lanes * (IN_BITS + SCALE_BITS + p.bits)  # the three pipeline registers
        regs = pricer.logic("register", ff_bits)
        parts = p.lanes * lane + regs
        elem = lane.pj + pricer.logic("register", IN_BITS + SCALE_BITS + p.bits).pj
        return UnitCost("logic", parts.um2 * 1e-6, parts.leak_uw * 1e-6, regs.pj, {"elem": elem})

    def actions(self, p: KvWriteParams, counts: dict[str, float]) -> dict[str, float]:
        elems = 2 * counts["out_elems"]  # a key and a value row per query and head, d elements each
        lines = elems * p.bits / 8 / LINE_BYTES  # each line written into the buffer, read out to DRAM
        return {"elem": elems, "buffer_write": lines, "buffer_read": lines}
