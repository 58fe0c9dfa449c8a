"""RTL of the example ``kvwrite`` unit (``kvwrite.py``): its quantizer in Amaranth and its bench case.

Each beat carries ``lanes`` elements of an item's new key and value rows (``IN_BITS``-bit two's
complement), the head's scale and ``last`` on the item's final beat. Each lane multiplies by the scale,
rounds and clamps to ``bits`` bits (``kvwrite.quantize``, bit for bit), in a pipeline of ``latency``
registers (at least 1): one after the multiply, the rounding and the clamp, further ones after (with
fewer, the later steps share the output's cycle). The pipeline advances as one whenever its last stage is empty or
taken, so without stalls a beat a cycle flows and an item of ``B`` beats takes ``B + latency`` cycles,
:meth:`KvWrite.cycles` plus :meth:`KvWrite.latency`. ``accelsim rtl verify kvwrite`` checks both;
``accelsim rtl build kvwrite`` synthesizes it for the iCE40 (the write buffer and the DRAM writer are
not in it: the ``--param`` it reads are ``lanes``, ``bits`` and ``latency``).
"""

from __future__ import annotations

import numpy as np
from amaranth import Module, Mux, Signal, signed, unsigned
from amaranth.hdl import Value
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from accelsim.rtl.units.cases import MAX_JOB_ROWS, Case, Rows, group, register_case
from accelsim.units import ItemWork
from accelsim_example_plugins.kvwrite import IN_BITS, SCALE_BITS, SCALE_FRAC, KvWrite, KvWriteParams, quantize

STEPS = 3  # multiply, round, clamp: a register after each while latency lasts


def row_layout(p: KvWriteParams) -> data.StructLayout:
    """One input beat: ``lanes`` elements, the head's scale and the item's ``last`` flag."""
    return data.StructLayout(
        {"x": data.ArrayLayout(signed(IN_BITS), p.lanes), "scale": unsigned(SCALE_BITS), "last": 1}
    )


def code_layout(p: KvWriteParams) -> data.StructLayout:
    """One output beat: ``lanes`` codes of ``bits`` bits and ``last``."""
    return data.StructLayout({"q": data.ArrayLayout(signed(p.bits), p.lanes), "last": 1})


class KvQuant(wiring.Component):
    """Scale, round and clamp ``lanes`` elements a cycle.

    Parameters
    ----------
    params : the unit's :class:`~accelsim_example_plugins.kvwrite.KvWriteParams`.

    Members
    -------
    rows : In(stream.Signature(row_layout(params))) — the item's key and value rows, ``last`` on its
        final beat; lanes past the rows' end are 0.
    codes : Out(stream.Signature(code_layout(params))) — the codes, a beat per input beat.

    Raises
    ------
    TypeError
        If ``params`` is not a :class:`KvWriteParams`.
    ValueError
        If ``params.latency`` is 0: the unit is clocked (its bench and the FPGA flow need a register).
    """

    def __init__(self, params: KvWriteParams) -> None:
        if not isinstance(params, KvWriteParams):
            raise TypeError(f"KvWrite parameters must be a KvWriteParams, not {params!r}")
        if params.latency < 1:
            raise ValueError(f"latency must be at least 1 in RTL, not {params.latency}")
        self._params = params
        super().__init__(
            {"rows": In(stream.Signature(row_layout(params))), "codes": Out(stream.Signature(code_layout(params)))}
        )

    @property
    def params(self) -> KvWriteParams:
        return self._params

    def elaborate(self, platform) -> Module:
        m = Module()
        p = self._params
        out = self.codes
        top = 1 << (p.bits - 1)
        steps = [
            lambda v: v * self.rows.payload.scale,
            lambda v: (v + (1 << (SCALE_FRAC - 1))) >> SCALE_FRAC,
            lambda v: Mux(v > top - 1, top - 1, Mux(v < -top, -top, v))[: p.bits].as_signed(),
        ]
        advance = Signal()  # every register takes its input: the last stage is empty or taken
        valid, last = self.rows.valid, self.rows.payload.last
        lanes: list[Value] = [self.rows.payload.x[j] for j in range(p.lanes)]
        for stage in range(max(p.latency, STEPS)):
            if stage < STEPS:
                lanes = [steps[stage](v) for v in lanes]
            if stage < p.latency:
                valid, last, lanes = self._register(m, advance, stage, valid, last, lanes)
        m.d.comb += [
            advance.eq(~out.valid | out.ready),
            self.rows.ready.eq(advance),
            out.valid.eq(valid),
            out.payload.last.eq(last),
            *(out.payload.q[j].eq(v) for j, v in enumerate(lanes)),
        ]
        return m

    @staticmethod
    def _register(m: Module, advance: Signal, stage: int, valid: Value, last: Value, lanes: list[Value]):
        """Stage ``stage``'s register of the beat (valid, last, lanes), loaded when the pipeline advances."""
        regs = [Signal(v.shape(), name=f"s{stage}_x{j}") for j, v in enumerate(lanes)]
        v_reg, l_reg = Signal(name=f"s{stage}_valid"), Signal(name=f"s{stage}_last")
        with m.If(advance):
            m.d.sync += [v_reg.eq(valid), l_reg.eq(last), *(r.eq(v) for r, v in zip(regs, lanes, strict=True))]
        return v_reg, l_reg, regs


@register_case
class KvWriteCase(Case):
    """The bench's view of the unit: a row is one decode item's new key and value rows (``2 d``
    elements, d its head dimension) with its head's scale; the cycle model is the unit's own."""

    name = KvWrite.name
    params_type = KvWriteParams
    input, output = "rows", "codes"
    reads = ("lanes", "bits", "latency")

    def component(self) -> KvQuant:
        return KvQuant(self.params)

    def lanes(self) -> int:
        return self.params.lanes

    def in_fields(self) -> list[list]:
        return [["x", IN_BITS, self.params.lanes], ["scale", SCALE_BITS, 1], ["last", 1, 1]]

    def out_fields(self) -> list[list]:
        return [["q", self.params.bits, self.params.lanes], ["last", 1, 1]]

    def _rows(self, rows: list[np.ndarray], scale: list[int], job: np.ndarray, mode: np.ndarray) -> Rows:
        """Rows of items' elements, zero-padded to whole beats."""
        beat = self.params.lanes
        out = np.zeros((len(rows), -(-max((len(r) for r in rows), default=0) // beat) * beat), np.int64)
        for i, r in enumerate(rows):
            out[i, : len(r)] = r
        return Rows(out, np.array([len(r) for r in rows], np.int64), np.asarray(scale, np.int64), job, mode)

    def edge_rows(self, rng: np.random.Generator) -> Rows:
        """Items of d = 1 and around one and two beats (partial last beats); the extreme inputs at the
        largest scale (clamped at both ends) and at scale 0; inputs at the clamp bounds and one past them
        at scale 1.0; odd inputs at scale 0.5 (ties, rounded up); then items back to back under each
        flow-control mode."""
        beat, bits = self.params.lanes, self.params.bits
        lo, hi = -(1 << (IN_BITS - 1)), (1 << (IN_BITS - 1)) - 1
        one, smax = 1 << SCALE_FRAC, (1 << SCALE_BITS) - 1
        top = 1 << (bits - 1)
        rows = [rng.integers(lo, hi + 1, 2 * d) for d in sorted({1, max(1, beat // 2), beat, beat + 1, 64})]
        scale = [int(rng.integers(0, smax + 1)) for _ in rows]
        bounds = np.clip([top - 1, top, -top, -top - 1, 0, 1, -1], lo, hi)
        rows += [np.full(2 * beat, hi), np.full(2 * beat, lo), np.tile([lo, hi], beat), np.resize(bounds, 2 * beat)]
        scale += [smax, smax, 0, one]
        rows.append(np.arange(-beat, beat) * 2 + 1)
        scale.append(one // 2)
        single = len(rows)
        back = [rng.integers(lo, hi + 1, 2 * int(d)) for d in rng.integers(1, 2 * beat + 1, MAX_JOB_ROWS)]
        rows += back * 3
        scale += [int(s) for s in rng.integers(0, smax + 1, MAX_JOB_ROWS)] * 3
        job = np.concatenate([np.arange(single), single + np.repeat(np.arange(3), MAX_JOB_ROWS)])
        return self._rows(rows, scale, job, np.array([0] * single + [0, 1, 2]))

    def random_rows(self, count: int, rng: np.random.Generator) -> Rows:
        """d uniform in 1 to 64; elements normal with a spread of 2**4 to 2**15, saturated to 16 bits;
        scales log-uniform from 1/16 to 16 (rows within range, and rows clamped)."""
        lo, hi = -(1 << (IN_BITS - 1)), (1 << (IN_BITS - 1)) - 1
        d = rng.integers(1, 65, count)
        spread = 2.0 ** rng.uniform(4, 15, count)
        rows = [
            np.clip(np.rint(rng.normal(0, s, 2 * k)), lo, hi).astype(np.int64) for k, s in zip(d, spread, strict=True)
        ]
        scale = np.minimum(np.rint(2.0 ** rng.uniform(-4, 4, count) * (1 << SCALE_FRAC)), (1 << SCALE_BITS) - 1)
        job, mode = group(count, rng)
        return self._rows(rows, scale.astype(np.int64).tolist(), job, mode)

    def _beats(self, rows: Rows, values: np.ndarray) -> np.ndarray:
        """Each row's first ``in_beats`` beats of ``values`` [V, >= beats x lanes], rows in order."""
        beat = self.params.lanes
        return np.concatenate([values[i, : b * beat].reshape(b, beat) for i, b in enumerate(self.in_beats(rows))])

    def _last(self, rows: Rows) -> np.ndarray:
        return np.concatenate([np.arange(b) == b - 1 for b in self.in_beats(rows)]).astype(np.int64)[:, None]

    def encode(self, rows: Rows) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        scale = np.repeat(rows.threshold, self.in_beats(rows))[:, None]
        return {"x": self._beats(rows, rows.data), "scale": scale, "last": self._last(rows)}, {}

    def out_beats(self, rows: Rows) -> np.ndarray:
        return self.in_beats(rows)

    def expected(self, rows: Rows) -> dict[str, np.ndarray]:
        codes = quantize(rows.data, rows.threshold[:, None], self.params) & ((1 << self.params.bits) - 1)
        return {"q": self._beats(rows, codes), "last": self._last(rows)}

    def cycles(self, rows: Rows) -> np.ndarray:
        """Per job: the unit's cycles of its items (decode items of head dimension n / 2) and its latency."""
        unit, zero = KvWrite(), np.zeros(len(rows))
        held = unit.cycles(self.params, ItemWork(queries=np.ones(len(rows)), d=rows.n / 2, scores=zero, pv_rows=zero))
        per_job = np.bincount(rows.job, weights=held, minlength=len(rows.mode))
        return (per_job + unit.latency(self.params)).astype(np.int64)
