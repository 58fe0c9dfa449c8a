"""Fixed-point softmax in Amaranth: ``parallelism`` scores a cycle in, the same out.

Number format, exp and the online sum: :mod:`accelsim.hw.softmax`, whose numpy model this matches bit
for bit. The input side streams a row into one of two row buffers (a memory of ``2 * max_n /
parallelism`` lines), keeping the integer reference ``m`` and the sum of exps; at the row's last beat
it hands the buffer, ``m``, the sum and ``n`` on and goes on with the next of three buffers. An array of
restoring stages makes ``r = 2**K // sum`` in one cycle; the output side then reads the buffer back
a line a cycle, recomputes each exp against the final ``m`` and emits ``(e * r) >> (K - out_bits)``,
rounded and saturated, with ``last`` on the row's last beat.
"""

from __future__ import annotations

from amaranth import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.hdl import Value
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from accelsim.hw.softmax import SoftmaxParams

BUFFERS = 3  # row buffers: one loading, one dividing, one emitting


def tree(values: list[Value], op) -> Value:
    """``op`` folded over ``values`` as a balanced tree."""
    while len(values) > 1:
        values = [op(a, b) for a, b in zip(values[::2], values[1::2], strict=False)] + (
            [values[-1]] if len(values) % 2 else []
        )
    return values[0]


def lookup(index: Value, table: list[int]) -> Value:
    """``table[index]`` as a tree of multiplexers on the index bits, most significant first: logic, where
    an indexed array would become a ROM, which the ASIC flow keeps as a memory macro."""
    if len(table) == 1:
        return Const(table[0], max(table[0].bit_length(), 1))
    half = len(table) // 2
    top = len(index) - 1
    return Mux(index[top], lookup(index[:top], table[half:]), lookup(index[:top], table[:half]))


def smax(a: Value, b: Value) -> Value:
    return Mux(a > b, a, b)


def score_layout(params: SoftmaxParams) -> data.ArrayLayout:
    """One input beat: ``parallelism`` signed scores of ``width`` bits."""
    return data.ArrayLayout(signed(params.width), params.parallelism)


def prob_layout(params: SoftmaxParams) -> data.StructLayout:
    """One output beat: ``parallelism`` Q0.``out_bits`` probabilities and the row's ``last`` flag."""
    return data.StructLayout({"p": data.ArrayLayout(unsigned(params.out_bits), params.parallelism), "last": 1})


class Softmax(wiring.Component):
    """Two-buffer streaming softmax.

    Parameters
    ----------
    params : the unit's :class:`~accelsim.hw.softmax.SoftmaxParams`.

    Members
    -------
    scores : In(stream.Signature(score_layout(params))) — a row's scores, ``ceil(n / parallelism)``
        beats; lanes past ``n`` are ignored.
    n : In(index_width + 1) — the row's length, 1 to ``max_n``; sampled with its first beat.
    probs : Out(stream.Signature(prob_layout(params))) — the row's probabilities, beat for beat; lanes
        past ``n`` are 0.
    busy : Out(1) — a row is loaded or being emitted.

    Raises
    ------
    TypeError
        If ``params`` is not a :class:`SoftmaxParams`.
    """

    def __init__(self, params: SoftmaxParams) -> None:
        if not isinstance(params, SoftmaxParams):
            raise TypeError(f"Softmax parameters must be a SoftmaxParams, not {params!r}")
        self._params = params
        super().__init__(
            {
                "scores": In(stream.Signature(score_layout(params))),
                "n": In(params.index_width + 1),
                "probs": Out(stream.Signature(prob_layout(params))),
                "busy": Out(1),
            }
        )

    @property
    def params(self) -> SoftmaxParams:
        return self._params

    def _exp(self, d: Value, table: list[int]) -> Value:
        """``2**-d`` (``exp_bits`` fraction bits) of a non-negative fixed-point ``d``."""
        prm = self._params
        f = prm.frac_bits
        shift = d[f:]
        return Mux(shift > prm.exp_bits, 0, (lookup(d[:f], table) + ((1 << shift) >> 1)) >> shift)  # rounded

    def elaborate(self, platform) -> Module:
        m = Module()
        prm = self._params
        p, f, iw = prm.parallelism, prm.frac_bits, prm.index_width
        lines = prm.lines
        table = [int(v) for v in prm.exp_table()]
        m.submodules.buf = buf = Memory(shape=score_layout(prm), depth=BUFFERS * lines, init=[])
        wr = buf.write_port()
        rd = buf.read_port()

        def base(b: Value) -> Value:
            """First line of buffer ``b``."""
            return b * lines

        def after(b: Value) -> Value:
            """The buffer after ``b``."""
            return Mux(b == BUFFERS - 1, 0, b + 1)

        full = Signal(BUFFERS)  # buffer b holds a loaded row
        done = Signal(BUFFERS)  # ... whose reciprocal is ready
        ref = Array(Signal(signed(prm.ref_bits), name=f"ref{b}") for b in range(BUFFERS))
        total = Array(Signal(prm.sum_bits, name=f"sum{b}") for b in range(BUFFERS))
        length = Array(Signal(iw + 1, name=f"n{b}") for b in range(BUFFERS))
        recip = Array(Signal(prm.recip_bits, name=f"recip{b}") for b in range(BUFFERS))

        # input side: load a row into buffer wb, folding each beat into (m, sum)
        wb = Signal(range(BUFFERS))
        beat = Signal(range(lines + 1))
        run_m = Signal(signed(prm.ref_bits))
        run_sum = Signal(prm.sum_bits)
        run_n = Signal(iw + 1)
        first = beat == 0
        n_in = Mux(first, self.n, run_n)
        x = self.scores.payload
        valid = [(beat * p + j) < n_in for j in range(p)]
        lo = Const(-(1 << (prm.width - 1)), signed(prm.width))
        bmax = tree([Mux(valid[j], x[j], lo) for j in range(p)], smax)
        ceil = (bmax + ((1 << f) - 1)) >> f
        m_new = Signal(signed(prm.ref_bits))
        m.d.comb += m_new.eq(Mux(first | (ceil > run_m), ceil, run_m))
        exps = [Mux(valid[j], self._exp(((m_new << f) - x[j]).as_unsigned(), table), 0) for j in range(p)]
        rise = (m_new - run_m).as_unsigned()
        kept = Mux(first | (rise >= prm.sum_bits), 0, run_sum >> rise)
        sum_new = kept + tree(exps, lambda a, b: a + b)
        last_in = (beat + 1) * p >= n_in
        take = self.scores.valid & self.scores.ready

        m.d.comb += [
            self.scores.ready.eq(~full.bit_select(wb, 1)),
            wr.addr.eq(base(wb) + beat),
            wr.data.eq(x),
            wr.en.eq(take),
        ]
        with m.If(take):
            m.d.sync += [run_m.eq(m_new), run_sum.eq(sum_new), beat.eq(beat + 1)]
            with m.If(first):
                m.d.sync += run_n.eq(self.n)
            with m.If(last_in):
                m.d.sync += [
                    beat.eq(0),
                    wb.eq(after(wb)),
                    ref[wb].eq(m_new),
                    total[wb].eq(sum_new),
                    length[wb].eq(n_in),
                ]

        # divider: r = 2**K // sum of buffer db, all quotient bits in one cycle (an array of restoring stages)
        db = Signal(range(BUFFERS))
        q_bits = prm.recip_bits
        rem: Value = Const(1 << prm.recip_shift, prm.recip_shift + 1)
        divisor = Signal(prm.sum_bits)
        m.d.comb += divisor.eq(total[db])
        bits = []
        for b in reversed(range(q_bits)):  # each stage a signal: later stages name it, not copy it
            part = Signal(prm.sum_bits + b, name=f"div_part{b}")
            fits = Signal(name=f"div_bit{b}")
            left = Signal(prm.recip_shift + 1, name=f"div_rem{b}")
            m.d.comb += [part.eq(divisor << b), fits.eq(rem >= part), left.eq(Mux(fits, rem - part, rem))]
            bits.append(fits)
            rem = left
        divided = Signal(BUFFERS)
        with m.If(full.bit_select(db, 1) & ~done.bit_select(db, 1)):
            m.d.sync += [recip[db].eq(Cat(*reversed(bits))), db.eq(after(db))]
            m.d.comb += divided.eq(1 << db)

        # output side: emit buffer rb once its reciprocal is ready
        rb = Signal(range(BUFFERS))
        obeat = Signal(range(lines + 1))
        n_out = length[rb]
        ready_row = done.bit_select(rb, 1)
        fire = self.probs.valid & self.probs.ready
        last_out = (obeat + 1) * p >= n_out
        shift = prm.recip_shift - prm.out_bits
        top = (1 << prm.out_bits) - 1
        for j in range(p):
            e = self._exp(((ref[rb] << f) - rd.data[j]).as_unsigned(), table)
            prod = (e * recip[rb] + (1 << (shift - 1))) >> shift  # rounded
            m.d.comb += self.probs.payload.p[j].eq(Mux((obeat * p + j) < n_out, Mux(prod > top, top, prod), 0))
        # the read address runs a cycle ahead: the next line, or the next buffer's first after a row's last
        m.d.comb += [
            rd.addr.eq(Mux(fire & last_out, base(after(rb)), base(rb) + obeat + fire)),
            self.probs.valid.eq(ready_row),
            self.probs.payload.last.eq(last_out),
        ]
        emptied = Signal(BUFFERS)
        with m.If(fire):
            m.d.sync += obeat.eq(obeat + 1)
            with m.If(last_out):
                m.d.sync += [obeat.eq(0), rb.eq(after(rb))]
                m.d.comb += emptied.eq(1 << rb)
        # a buffer fills at its last input beat and empties at its last output beat
        filled = Signal(BUFFERS)
        with m.If(take & last_in):
            m.d.comb += filled.eq(1 << wb)
        m.d.sync += [full.eq((full | filled) & ~emptied), done.eq((done | divided) & ~emptied)]
        m.d.comb += self.busy.eq(full.any() | (beat != 0))
        return m
