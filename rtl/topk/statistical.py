"""Statistical top-k (Spark Transformer, arXiv 2506.06644) in Amaranth.

While the scores stream in (P per beat, stored in buffer O) two accumulators gather ``S1 = Σx``
and ``S2 = Σx²``. Then ``V = n·S2 − S1²`` (n² times the variance), a bit-serial integer square
root ``r = isqrt(V)`` (one result bit per cycle), and the scaled threshold
``T = S1·2^F + z·r``. A filter pass over O emits, in original order and packed P per beat by a
:class:`ZeroEliminator`, the items with ``x·n·2^F > T``, i.e. x > mean + z·std. The coefficient
z = Φ⁻¹(1 − k/n) in fixed point is an input (:func:`accelsim.topk.statistical.z_coefficient`).
"""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In

from accelsim.rtl.topk.common import (
    TopKComponent,
    item_layout,
    lane_layout,
    pair_layout,
    register_component,
)
from accelsim.rtl.topk.zero_eliminator import ZeroEliminator
from accelsim.topk.base import TopKParams
from accelsim.topk.statistical import Z_INT_BITS


@register_component("statistical")
class StatisticalTopK(TopKComponent):
    """Threshold top-k from the mean and standard deviation of the scores.

    Parameters
    ----------
    params : engine parameters; ``parallelism`` must be a power of two not above ``max_n`` and
        equal to ``input_parallelism``.

    Members
    -------
    scores : In(stream.Signature(ArrayLayout(unsigned(width), parallelism))) — ``ceil(n/P)``
        beats per job; lanes at or beyond n in the last beat are ignored.
    n : In(index_width + 1) — job size, 1 to ``max_n``; sampled with the first beat.
    k : In(index_width + 1) — target count; k = 0 selects nothing. Sampled with the first beat.
    z : In(signed(4 + z_frac_bits)) — Φ⁻¹(1 − k/n) with ``z_frac_bits`` fraction bits.
    items : Out(stream.Signature(item_layout(params))) — kept items in index order, up to P per
        beat packed from lane 0 (``count`` of them); beats with no item are not sent.
    busy : Out(1) — a job is in progress (high from the cycle after its first beat).
    """

    NARROW_INPUT = False  # beats of P lanes: input_parallelism must equal parallelism

    @classmethod
    def ports(cls, params: TopKParams) -> tuple[object, object, dict[str, wiring.Member]]:
        return (stream.Signature(lane_layout(params)), stream.Signature(item_layout(params)),
                {"z": In(signed(Z_INT_BITS + params.z_frac_bits))})

    def elaborate(self, platform) -> Module:
        m = Module()
        prm = self._params
        p, w, iw, f = prm.parallelism, prm.width, prm.index_width, prm.z_frac_bits
        lp = (p - 1).bit_length()
        depth = prm.max_n // p
        root_bits = iw + w + 1  # isqrt(V) < 2**(iw + w); one spare step keeps the model simple

        lanes = []
        for j in range(p):
            mem = memory.Memory(shape=unsigned(w), depth=depth, init=[])
            m.submodules[f"buf_{j}"] = mem
            lanes.append((mem.read_port(), mem.write_port()))
        m.submodules.ze_out = ze_out = ZeroEliminator(pair_layout(prm), lanes=p)

        n_r, k_r = Signal(iw + 1), Signal(iw + 1)
        z_r = Signal(signed(Z_INT_BITS + f))
        lrow = Signal(range(depth))
        row = Signal(range(depth + 1))
        s1 = Signal(w + iw + 1)
        s2 = Signal(2 * w + iw + 1)
        rem = Signal(2 * root_bits)
        root = Signal(2 * root_bits)
        bit = Signal(2 * root_bits)
        thr = Signal(signed(w + iw + f + Z_INT_BITS + 3))
        raddr = Signal(range(depth))
        ren = Signal(init=1)

        def rows(x):
            return (x + p - 1) >> lp

        # Load: store the beat and accumulate the lanes below n; n, k, z come with the first beat.
        # Amaranth re-emits an expression at every use: name shared values as signals
        first, in_load = Signal(), Signal(p)
        n_in, k_in = Signal(iw + 1), Signal(iw + 1)
        beat = self.scores.payload
        m.d.comb += [
            first.eq(lrow == 0),
            n_in.eq(Mux(first, self.n, n_r)),
            k_in.eq(Mux(first, self.k, k_r)),
            in_load.eq(Cat((lrow << lp) + j < n_in for j in range(p))),
        ]
        for j in range(p):
            _, wp = lanes[j]
            m.d.comb += [wp.addr.eq(lrow), wp.data.eq(beat[j]),
                         wp.en.eq(self.scores.valid & self.scores.ready)]
        lane_s1 = sum(Mux(in_load[j], beat[j], 0) for j in range(p))
        lane_s2 = sum(Mux(in_load[j], beat[j] * beat[j], 0) for j in range(p))

        # Filter datapath: items of O with x * n * 2^F above the threshold.
        for rp, _ in lanes:
            m.d.comb += [rp.addr.eq(raddr), rp.en.eq(ren)]
        base = Signal(iw + 1)
        m.d.comb += base.eq(row << lp)
        sel = Cat(((base + j) < n_r) & (((lanes[j][0].data * n_r) << f) > thr) for j in range(p))
        m.d.comb += ze_out.i_valid.eq(sel)
        for j in range(p):
            m.d.comb += [ze_out.i_data[j].index.eq(base + j),
                         ze_out.i_data[j].score.eq(lanes[j][0].data),
                         self.items.payload.index[j].eq(ze_out.o_data[j].index),
                         self.items.payload.score[j].eq(ze_out.o_data[j].score)]
        m.d.comb += self.items.payload.count.eq(ze_out.o_count)

        with m.FSM():
            with m.State("LOAD"):
                m.d.comb += [self.scores.ready.eq(1), self.busy.eq(~first)]
                with m.If(self.scores.valid):
                    m.d.sync += [lrow.eq(lrow + 1),
                                 s1.eq(Mux(first, 0, s1) + lane_s1),
                                 s2.eq(Mux(first, 0, s2) + lane_s2)]
                    with m.If(first):
                        m.d.sync += [n_r.eq(self.n), k_r.eq(self.k), z_r.eq(self.z)]
                    with m.If(lrow == rows(n_in) - 1):
                        m.d.sync += lrow.eq(0)
                        with m.If(k_in != 0):
                            m.next = "VAR"
            with m.State("VAR"):
                m.d.comb += self.busy.eq(1)
                m.d.sync += [rem.eq(n_r * s2 - s1 * s1), root.eq(0),
                             bit.eq(1 << (2 * (root_bits - 1)))]
                m.next = "SQRT"
            with m.State("SQRT"):
                # restoring square root: one result bit per cycle, most significant first
                m.d.comb += self.busy.eq(1)
                trial = root + bit
                with m.If(rem >= trial):
                    m.d.sync += [rem.eq(rem - trial), root.eq((root >> 1) + bit)]
                with m.Else():
                    m.d.sync += root.eq(root >> 1)
                m.d.sync += bit.eq(bit >> 2)
                with m.If(bit == 1):
                    m.next = "THETA"
            with m.State("THETA"):
                m.d.comb += self.busy.eq(1)
                m.d.sync += thr.eq((s1 << f) + z_r * root)
                m.next = "FSTART"
            with m.State("FSTART"):
                m.d.comb += [self.busy.eq(1), raddr.eq(0)]
                m.d.sync += row.eq(0)
                m.next = "FILTER"
            with m.State("FILTER"):
                # hold the row (read enable low) while the sink refuses a beat
                stall = self.items.valid & ~self.items.ready
                m.d.comb += [self.busy.eq(1), raddr.eq(row + 1), ren.eq(~stall),
                             self.items.valid.eq(ze_out.o_count != 0)]
                with m.If(~stall):
                    m.d.sync += row.eq(row + 1)
                    with m.If(row == rows(n_r) - 1):
                        m.next = "LOAD"
        return m
