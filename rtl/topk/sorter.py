"""Sorting-network top-k in Amaranth: bitonic-sorted lines, then merge passes truncated to k.

Each input beat of P = ``parallelism`` scores goes through a bitonic sorting network and is written as one
sorted line (a run of P) into bank 0 of a two-bank line memory. Merge pass j reads the runs of level j
(``min(2**j, K)`` lines each, ``K = ceil(min(k, n) / P)``) from one bank in pairs and writes their merge,
cut to K lines, into the other: per pair one cycle sets the read addresses, one cycle moves the line with
the larger head into the carry register, and each further cycle merges the line with the larger head (the
rule of Chhugani et al., VLDB 2008) with the carry in a width-2P bitonic merger, writes the top P and
keeps the bottom P, until K lines are written or the carry is flushed. After ``ceil(log2 ceil(n/P))``
passes the first ``ceil(k/P)`` lines leave after one address cycle, a line a beat. An item is ordered by
(valid, score, earliest index), packed into one key, so the result is the model's exactly.
Timing: :mod:`accelsim.topk.sorter`.
"""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, unsigned
from amaranth.hdl import Value
from amaranth.lib import data, memory

from accelsim.rtl.topk.common import TopKComponent, register_component


def _stage(m: Module, keys: list[Value], pairs: list[tuple[int, int, bool]], name: str) -> list[Value]:
    """One column of compare-exchanges: for each ``(i, j, descending)`` the larger key goes to i when
    descending, to j otherwise. The outputs are signals, so later columns refer to them by name."""
    out = [Signal(len(k), name=f"{name}_{i}") for i, k in enumerate(keys)]
    moved = set()
    for i, j, desc in pairs:
        a, b = keys[i], keys[j]
        swap = (b > a) if desc else (a > b)
        m.d.comb += [out[i].eq(Mux(swap, b, a)), out[j].eq(Mux(swap, a, b))]
        moved |= {i, j}
    m.d.comb += [out[i].eq(keys[i]) for i in range(len(keys)) if i not in moved]
    return out


def bitonic_sort(m: Module, keys: list[Value], name: str) -> list[Value]:
    """``keys`` (a power of two of them) sorted largest first by Batcher's bitonic network."""
    size, block, level = len(keys), 2, 0
    while block <= size:
        stride = block // 2
        while stride:
            # a block with bit `block` set sorts ascending, so the next level sees bitonic input
            pairs = [(i, i ^ stride, not i & block) for i in range(size) if i ^ stride > i]
            keys = _stage(m, keys, pairs, f"{name}{level}")
            stride //= 2
            level += 1
        block *= 2
    return keys


def bitonic_merge(m: Module, high: list[Value], low: list[Value], name: str) -> list[Value]:
    """Two descending lists of P keys merged largest first: ``high`` then ``low`` reversed is bitonic, and
    half-cleaners of stride P, P/2, ..., 1 sort it."""
    keys = list(high) + list(reversed(low))
    size, stride, level = len(keys), len(keys) // 2, 0
    while stride:
        keys = _stage(m, keys, [(i, i ^ stride, True) for i in range(size) if i ^ stride > i], f"{name}{level}")
        stride //= 2
        level += 1
    return keys


@register_component("sorter")
class SorterTopK(TopKComponent):
    """Bitonic line sort, pairwise merge passes truncated to k, in-order drain.

    Parameters
    ----------
    params : engine parameters; ``parallelism`` and ``input_parallelism`` powers of two, ``parallelism``
        not above ``max_n``.

    Members
    -------
    scores : In(stream.Signature(ArrayLayout(unsigned(width), input_parallelism))) — ``ceil(n/P_in)``
        beats per job, ``P / P_in`` to a line; lanes at or beyond n in the last beat are ignored.
    n : In(index_width + 1) — job size, 1 to ``max_n``; sampled with the first beat.
    k : In(index_width + 1) — items to select; k >= n selects all, k = 0 none.
    items : Out(stream.Signature(item_layout(params))) — the selected items, largest score first (earliest
        index among equals), P_in per beat packed from lane 0 (``count`` of them).
    busy : Out(1) — a job is in progress (high from the cycle after its first beat).
    """

    RANKED = True

    def elaborate(self, platform) -> Module:
        m = Module()
        prm = self._params
        p, w, iw = prm.parallelism, prm.width, prm.index_width
        lp = (p - 1).bit_length()
        lines = prm.max_n // p
        kw = 1 + w + iw  # key: valid, score, inverted index (larger key: larger score, then earlier index)
        line_layout = data.ArrayLayout(unsigned(kw), p)
        m.submodules.mem = mem = memory.Memory(shape=line_layout, depth=2 * lines, init=[])
        wr = mem.write_port()
        rda = mem.read_port()
        rdb = mem.read_port()

        def addr(bank: Value, line: Value) -> Value:
            return Mux(bank, lines, 0) + line

        cnt = iw + 1
        pin = prm.input_parallelism
        lg = (p // pin - 1).bit_length()  # log2 of the beats per line
        beat = Signal(range(prm.max_n // pin + 1))
        gather = Signal(data.ArrayLayout(unsigned(1 + prm.width + iw), p)) if lg else None
        n_r, kk = Signal(cnt), Signal(cnt)
        n_lines = Signal(cnt)  # N0 = ceil(n / P)
        k_lines = Signal(cnt)  # K = ceil(min(k, n) / P)
        level = Signal(range(iw + 2))
        left = Signal(cnt + 1)  # original lines from this pair on
        base_a, base_w = Signal(cnt + 1), Signal(cnt + 1)
        pa, pb, written = Signal(cnt), Signal(cnt), Signal(cnt)
        carry = Signal(line_layout)
        have_carry = Signal()
        optr = Signal(cnt)

        span = Signal(cnt + 1)  # 2**level: lines a level-j run covers
        m.d.comb += span.eq(1 << level)
        stride = Mux(span < k_lines, span, k_lines)  # lines a level-j run holds
        stride_next = Mux((span << 1) < k_lines, span << 1, k_lines)
        cover_a = Mux(left < span, left, span)
        cover_b = Mux(left > span, Mux(left - span < span, left - span, span), 0)
        la = Mux(cover_a < k_lines, cover_a, k_lines)
        lb = Mux(cover_b < k_lines, cover_b, k_lines)
        pair_cover = cover_a + cover_b
        target = Mux(pair_cover < k_lines, pair_cover, k_lines)
        src = level[0]
        base_b = base_a + stride

        with m.FSM():
            with m.State("LOAD"):
                x = self.scores.payload
                first = beat == 0
                n_in = Mux(first, self.n, n_r)
                k_in = Mux(first, self.k, kk)
                kk_in = Mux(k_in < n_in, k_in, n_in)
                # a line gathers P / P_in beats; the beat that completes it (or the job's last) writes it sorted
                sub = beat[:lg] if lg else 0
                new = [Mux((beat * pin + j) < n_in, Cat(~(beat * pin + j)[:iw], x[j], 1), 0) for j in range(pin)]
                keys = [
                    Mux(sub == q, new[j], Mux(sub > q, gather[q * pin + j], 0)) if lg else new[j]
                    for q in range(p // pin)
                    for j in range(pin)
                ]
                last_in = (beat + 1) * pin >= n_in
                m.d.comb += [
                    self.scores.ready.eq(1),
                    self.busy.eq(~first),
                    wr.addr.eq(addr(0, beat >> lg)),
                    wr.data.eq(Cat(*bitonic_sort(m, keys, "sort"))),
                    wr.en.eq(self.scores.valid & ((sub == (p // pin) - 1) | last_in)),
                ]
                with m.If(self.scores.valid):
                    for q in range(p // pin if lg else 0):
                        with m.If(sub == q):
                            m.d.sync += [gather[q * pin + j].eq(new[j]) for j in range(pin)]
                    m.d.sync += beat.eq(beat + 1)
                    with m.If(first):
                        m.d.sync += [n_r.eq(self.n), kk.eq(kk_in)]
                    with m.If(last_in):
                        lines_in = (n_in + (p - 1)) >> lp
                        m.d.sync += [
                            beat.eq(0),
                            n_lines.eq(lines_in),
                            k_lines.eq((kk_in + (p - 1)) >> lp),
                            level.eq(0),
                            left.eq(lines_in),
                            base_a.eq(0),
                            base_w.eq(0),
                        ]
                        with m.If(kk_in == 0):
                            m.next = "LOAD"
                        with m.Elif(lines_in == 1):
                            m.next = "OUT_ADDR"
                        with m.Else():
                            m.next = "PAIR_ADDR"
            with m.State("PAIR_ADDR"):
                m.d.comb += [self.busy.eq(1), rda.addr.eq(addr(src, base_a)), rdb.addr.eq(addr(src, base_b))]
                m.d.sync += [pa.eq(0), pb.eq(0), written.eq(0), have_carry.eq(0)]
                m.next = "MERGE"
            with m.State("MERGE"):
                av_a, av_b = pa < la, pb < lb
                head_a, head_b = rda.data[0], rdb.data[0]
                take_a = av_a & (~av_b | (head_a > head_b))
                take_b = av_b & ~take_a
                line = data.View(line_layout, Mux(take_a, rda.data, rdb.data))
                merged = bitonic_merge(m, [carry[j] for j in range(p)], [line[j] for j in range(p)], "merge")
                write = have_carry
                m.d.comb += [
                    self.busy.eq(1),
                    rda.addr.eq(addr(src, base_a + pa + take_a)),
                    rdb.addr.eq(addr(src, base_b + pb + take_b)),
                    wr.addr.eq(addr(~src, base_w + written)),
                    wr.data.eq(Mux(av_a | av_b, Cat(*merged[:p]), carry)),
                    wr.en.eq(write),
                ]
                m.d.sync += [pa.eq(pa + take_a), pb.eq(pb + take_b)]
                with m.If(~have_carry):
                    m.d.sync += [carry.eq(line), have_carry.eq(1)]
                with m.Else():
                    m.d.sync += [carry.eq(Cat(*merged[p:])), written.eq(written + 1)]
                    with m.If(written + 1 == target):  # the pair's last line
                        m.d.sync += [
                            base_a.eq(base_a + (stride << 1)),
                            base_w.eq(base_w + stride_next),
                            left.eq(left - (span << 1)),
                        ]
                        m.next = "PAIR_ADDR"
                        with m.If(left <= (span << 1)):  # the pass's last pair
                            m.d.sync += [level.eq(level + 1), left.eq(n_lines), base_a.eq(0), base_w.eq(0)]
                            with m.If((span << 1) >= n_lines):
                                m.next = "OUT_ADDR"
            with m.State("OUT_ADDR"):
                m.d.comb += [self.busy.eq(1), rda.addr.eq(addr(level[0], 0))]
                m.d.sync += optr.eq(0)
                m.next = "OUT"
            with m.State("OUT"):
                fire = self.items.valid & self.items.ready
                last = (optr + 1) * pin >= kk
                rest = kk - optr * pin
                m.d.comb += [
                    self.busy.eq(1),
                    self.items.valid.eq(1),
                    rda.addr.eq(addr(level[0], (optr + fire) >> lg)),
                    self.items.payload.count.eq(Mux(last, rest, pin)),
                ]
                part = optr[:lg] if lg else 0
                for j in range(pin):
                    key = rda.data.as_value().word_select(part * pin + j, kw) if lg else rda.data[j]
                    m.d.comb += [
                        self.items.payload.index[j].eq(~key[:iw]),
                        self.items.payload.score[j].eq(key[iw : iw + w]),
                    ]
                with m.If(fire):
                    m.d.sync += optr.eq(optr + 1)
                    with m.If(last):
                        m.next = "LOAD"
        return m
