"""SpAtten's quick-select top-k engine (SpAtten Sec. IV-D) in Amaranth.

Scores arrive ``input_parallelism`` (P_in) per beat and are stored in buffer O, rows of P = ``parallelism``
(SpAtten RTL QuickSelect.scala's width adapter packs 8-score beats into rows of 16). Each partition pass reads the
candidate buffer one row of P per cycle, compares the row with the pivot in two comparator
arrays, and a :class:`ZeroEliminator` per side packs the items above the pivot into one work
buffer and those below into another, written at the running fill level through a lane rotation
(SpAtten's FIFO_L / FIFO_R). The pass costs ``ceil(size/P) + 3`` cycles. When the pivot is the
k-th largest value, a filter pass over O, P_in scores per cycle (as the authors' TopK.scala pops its
``data_fifo``), emits exactly k items in original order, packed P_in per beat by a third zero
eliminator; equal-to-pivot items are taken earliest index first.
The pivot is the candidate at ``(lfsr * size) >> 16`` with a 16-bit LFSR reset at every job, so
the engine is deterministic and :mod:`accelsim.topk.quickselect` reproduces its passes.
"""

from __future__ import annotations

from amaranth import Array, Cat, Module, Mux, Signal, unsigned
from amaranth.lib import memory

from accelsim.rtl.topk.common import (
    TopKComponent,
    pair_layout,
    register_component,
)
from accelsim.rtl.topk.zero_eliminator import ZeroEliminator, tree_sum

ORIGINAL = 3  # buffer index of the stored input; 0..2 are work buffers
DST_G = (1, 0, 0, 0)  # per source buffer: where items above the pivot go
DST_L = (2, 2, 1, 1)  # per source buffer: where items below the pivot go


@register_component("quickselect")
class QuickSelectTopK(TopKComponent):
    """Quick-select top-k with an in-order filter pass.

    Parameters
    ----------
    params : engine parameters; ``parallelism`` and ``input_parallelism`` must be powers of two,
        ``parallelism`` not above ``max_n``.

    Members
    -------
    scores : In(stream.Signature(ArrayLayout(unsigned(width), input_parallelism))) —
        ``ceil(n/P_in)`` beats per job; lanes at or beyond n in the last beat are ignored.
    n : In(index_width + 1) — job size, 1 to ``max_n``; sampled with the first beat.
    k : In(index_width + 1) — items to select; k >= n selects all, k = 0 none.
    items : Out(stream.Signature(item_layout(params))) — selected items in index order, up to
        P_in per beat packed from lane 0 (``count`` of them); beats with no item are not sent.
    busy : Out(1) — a job is in progress (high from the cycle after its first beat).
    """

    def elaborate(self, platform) -> Module:
        m = Module()
        prm = self._params
        p, w, iw = prm.parallelism, prm.width, prm.index_width
        pin = prm.input_parallelism
        lp, ll = (p - 1).bit_length(), (pin - 1).bit_length()
        lg = lp - ll  # log2 of the input beats per row
        depth = prm.max_n // p
        cnt = unsigned(iw + 1)

        bufs = []
        for b in range(4):
            lanes = []
            for j in range(p):
                mem = memory.Memory(shape=unsigned(w), depth=depth, init=[])
                m.submodules[f"buf{b}_{j}"] = mem
                lanes.append((mem.read_port(), mem.write_port()))
            bufs.append(lanes)

        m.submodules.ze_g = ze_g = ZeroEliminator(unsigned(w), lanes=p)
        m.submodules.ze_l = ze_l = ZeroEliminator(unsigned(w), lanes=p)
        m.submodules.ze_out = ze_out = ZeroEliminator(pair_layout(prm), lanes=pin)

        n_r, k_r = Signal(cnt), Signal(cnt)
        lrow = Signal(range(prm.max_n // pin))  # input beat
        lfsr = Signal(16, init=prm.pivot_seed)
        size, target = Signal(cnt), Signal(cnt)
        src = Signal(2)
        pivot = Signal(w)
        plane = Signal(max(lp, 1))
        row = Signal(range(prm.max_n // pin + 1))  # partition: row of P; filter: beat of P_in
        ng, ne, wpg, wpl = Signal(cnt), Signal(cnt), Signal(cnt), Signal(cnt)
        quota, eqseen = Signal(cnt), Signal(cnt)
        take_all = Signal()

        raddr = Signal(range(depth))
        ren = Signal(init=1)
        rsel = Signal(2)
        for lanes in bufs:
            for rp, _ in lanes:
                m.d.comb += [rp.addr.eq(raddr), rp.en.eq(ren)]
        # Amaranth re-emits an expression at every use: name shared values as signals
        rdata = [Signal(w, name=f"rdata{j}") for j in range(p)]
        for j in range(p):
            m.d.comb += rdata[j].eq(Array(bufs[b][j][0].data for b in range(4))[rsel])

        def rows(x):
            return (x + p - 1) >> lp

        def beats(x):
            return (x + pin - 1) >> ll

        # Load: store the beat in its lanes of O's row; n and k come with the first beat.
        n_in, k_in = Signal(cnt), Signal(cnt)
        m.d.comb += [n_in.eq(Mux(lrow == 0, self.n, n_r)), k_in.eq(Mux(lrow == 0, self.k, k_r))]
        group = lrow[:lg] if lg else 0
        for j in range(p):
            _, wp = bufs[ORIGINAL][j]
            m.d.comb += [wp.addr.eq(lrow >> lg), wp.data.eq(self.scores.payload[j % pin]),
                         wp.en.eq(self.scores.valid & self.scores.ready & (group == j // pin))]

        # Partition datapath: lanes of the current row below `size`, against the pivot.
        base = Signal(iw + 1)
        in_size, gt, eq, lt = Signal(p), Signal(p), Signal(p), Signal(p)
        m.d.comb += [
            base.eq(row << lp),
            in_size.eq(Cat(base + j < size for j in range(p))),
            gt.eq(Cat(in_size[j] & (rdata[j] > pivot) for j in range(p))),
            eq.eq(Cat(in_size[j] & (rdata[j] == pivot) for j in range(p))),
            lt.eq(in_size & ~gt & ~eq),
        ]
        m.d.comb += [ze_g.i_valid.eq(gt), ze_l.i_valid.eq(lt)]
        for j in range(p):
            m.d.comb += [ze_g.i_data[j].eq(rdata[j]), ze_l.i_data[j].eq(rdata[j])]
        n_eq = Signal(range(p + 1))
        m.d.comb += n_eq.eq(sum(eq[j] for j in range(p)))
        scan = Signal()
        dst_g, dst_l = Signal(2), Signal(2)
        m.d.comb += [dst_g.eq(Array(DST_G)[src]), dst_l.eq(Array(DST_L)[src])]
        # Each side's packed row is rotated by its fill level modulo P (a log-depth shifter
        # over the row repeated twice), so packed element i lands in lane (wptr + i) mod P.
        sides = []
        for wptr, ze in ((wpg, ze_g), (wpl, ze_l)):
            off = wptr[:lp] if lp else 0
            packed = Cat(ze.o_data[j] for j in range(p))
            rot = Signal(p * w)
            rot_en = Signal(p)
            fill = ((1 << ze.o_count) - 1)[:p]
            m.d.comb += [
                rot.eq((Cat(packed, packed) << (off * w))[p * w:2 * p * w]),
                rot_en.eq((Cat(fill, fill) << off)[p:2 * p]),
            ]
            sides.append((wptr, off, rot, rot_en))
        for b in range(3):
            for j in range(p):
                _, wp = bufs[b][j]
                for dst, (wptr, off, rot, rot_en) in ((dst_g, sides[0]), (dst_l, sides[1])):
                    with m.If(dst == b):
                        m.d.comb += [
                            wp.addr.eq((wptr >> lp) + (j < off)),
                            wp.data.eq(rot[j * w:(j + 1) * w]),
                            wp.en.eq(scan & rot_en[j]),
                        ]

        # Filter datapath: beat `row` (P_in lanes of an O row): items above the k-th value, plus
        # the first `quota` equal ones.
        fbase = Signal(iw + 1)
        fdata = [Signal(w, name=f"fdata{j}") for j in range(pin)]
        fgroup = row[:lg] if lg else 0
        m.d.comb += fbase.eq(row << ll)
        for j in range(pin):
            m.d.comb += fdata[j].eq(Array(rdata[g * pin + j] for g in range(p // pin))[fgroup])
        in_n, f_gt, f_eq, sel = Signal(pin), Signal(pin), Signal(pin), Signal(pin)
        m.d.comb += [
            in_n.eq(Cat(fbase + j < n_r for j in range(pin))),
            f_gt.eq(Cat(in_n[j] & (fdata[j] > pivot) for j in range(pin))),
            f_eq.eq(Cat(in_n[j] & (fdata[j] == pivot) for j in range(pin))),
        ]
        # equal items before lane j: a prefix sum, one adder tree per lane as in the zero
        # eliminator
        for j in range(pin + 1):
            before = Signal(iw + 1, name=f"eq_before{j}")
            m.d.comb += before.eq(eqseen + tree_sum([f_eq[i] for i in range(j)]))
            if j < pin:
                m.d.comb += sel[j].eq(in_n[j] & (take_all | f_gt[j] | (f_eq[j] & (before < quota))))
        m.d.comb += ze_out.i_valid.eq(sel)
        for j in range(pin):
            m.d.comb += [ze_out.i_data[j].index.eq(fbase + j), ze_out.i_data[j].score.eq(fdata[j])]
        for j in range(pin):
            m.d.comb += [self.items.payload.index[j].eq(ze_out.o_data[j].index),
                         self.items.payload.score[j].eq(ze_out.o_data[j].score)]
        m.d.comb += self.items.payload.count.eq(ze_out.o_count)

        with m.FSM():
            with m.State("LOAD"):
                m.d.comb += [self.scores.ready.eq(1), self.busy.eq(lrow != 0)]
                with m.If(self.scores.valid):
                    m.d.sync += lrow.eq(lrow + 1)
                    with m.If(lrow == 0):
                        m.d.sync += [n_r.eq(self.n), k_r.eq(self.k), lfsr.eq(prm.pivot_seed)]
                    with m.If(lrow == beats(n_in) - 1):
                        m.d.sync += [lrow.eq(0), take_all.eq(k_in >= n_in), size.eq(n_in),
                                     target.eq(k_in), src.eq(ORIGINAL)]
                        with m.If(k_in >= n_in):
                            m.next = "FSTART"
                        with m.Elif(k_in != 0):
                            m.next = "PIVOT"
            with m.State("PIVOT"):
                # read the row holding the candidate at (lfsr * size) >> 16
                m.d.comb += [self.busy.eq(1), rsel.eq(src)]
                pidx = Signal(iw + 1)
                m.d.comb += pidx.eq((lfsr * size) >> 16)
                m.d.comb += raddr.eq(pidx >> lp)
                m.d.sync += [plane.eq(pidx[:lp] if lp else 0),
                             lfsr.eq((lfsr >> 1) ^ Mux(lfsr[0], 0xB400, 0))]
                m.next = "PIVOT2"
            with m.State("PIVOT2"):
                m.d.comb += [self.busy.eq(1), rsel.eq(src), raddr.eq(0)]
                m.d.sync += [pivot.eq(Array(rdata)[plane]), row.eq(0),
                             ng.eq(0), ne.eq(0), wpg.eq(0), wpl.eq(0)]
                m.next = "SCAN"
            with m.State("SCAN"):
                m.d.comb += [self.busy.eq(1), rsel.eq(src), raddr.eq(row + 1), scan.eq(1)]
                m.d.sync += [row.eq(row + 1), ng.eq(ng + ze_g.o_count), ne.eq(ne + n_eq),
                             wpg.eq(wpg + ze_g.o_count), wpl.eq(wpl + ze_l.o_count)]
                with m.If(row == rows(size) - 1):
                    m.next = "DECIDE"
            with m.State("DECIDE"):
                m.d.comb += self.busy.eq(1)
                with m.If(target <= ng):
                    m.d.sync += [src.eq(dst_g), size.eq(ng)]
                    m.next = "PIVOT"
                with m.Elif(target <= ng + ne):
                    m.d.sync += quota.eq(target - ng)
                    m.next = "FSTART"
                with m.Else():
                    m.d.sync += [src.eq(dst_l), size.eq(size - ng - ne),
                                 target.eq(target - ng - ne)]
                    m.next = "PIVOT"
            with m.State("FSTART"):
                m.d.comb += [self.busy.eq(1), rsel.eq(ORIGINAL), raddr.eq(0)]
                m.d.sync += [row.eq(0), eqseen.eq(0)]
                m.next = "FILTER"
            with m.State("FILTER"):
                # hold the row (read enable low) while the sink refuses a beat
                stall = self.items.valid & ~self.items.ready
                m.d.comb += [self.busy.eq(1), rsel.eq(ORIGINAL), raddr.eq((row + 1) >> lg),
                             ren.eq(~stall), self.items.valid.eq(ze_out.o_count != 0)]
                with m.If(~stall):
                    m.d.sync += [row.eq(row + 1),
                                 eqseen.eq(before)]
                    with m.If(row == beats(n_r) - 1):
                        m.next = "LOAD"
        return m
