"""Streaming top-k in Amaranth: a sorted chain of ``max_k`` slots, one insertion per cycle.

Each cycle every slot compares the incoming score with its entry; slots holding smaller scores
(or nothing) take their upper neighbour's entry, and the first of them takes the new item, so
the chain stays sorted, largest first. A new item goes below equal entries: the earliest index
wins ties. After the n-th item the chain drains from its head, one item per beat.
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal
from amaranth.lib import stream, wiring

from accelsim.rtl.topk.common import TopKComponent, pair_layout, register_component
from accelsim.topk.base import TopKParams


@register_component("streaming")
class StreamingTopK(TopKComponent):
    """Insertion top-k over a register chain of ``params.slots`` slots.

    Parameters
    ----------
    params : engine parameters; ``max_k`` sets the slots (default ``max_n``).

    Members
    -------
    scores : In(stream.Signature(unsigned(width))) — n beats per job, one score each.
    n : In(index_width + 1) — job size, 1 to ``max_n``; sampled with the first beat.
    k : In(index_width + 1) — items to return; at most ``min(n, max_k)`` are returned.
    items : Out(stream.Signature(pair_layout(params))) — the selected items, largest first.
    busy : Out(1) — a job is in progress (high from the cycle after its first beat).
    """

    LANES = False
    RANKED = True

    @classmethod
    def ports(cls, params: TopKParams) -> tuple[object, object, dict[str, wiring.Member]]:
        return stream.Signature(params.width), stream.Signature(pair_layout(params)), {}

    def elaborate(self, platform) -> Module:
        m = Module()
        prm = self._params
        slots = prm.slots
        iw = prm.index_width
        valid = [Signal(name=f"valid{i}") for i in range(slots)]
        score = [Signal(prm.width, name=f"score{i}") for i in range(slots)]
        index = [Signal(iw, name=f"index{i}") for i in range(slots)]
        count = Signal(iw + 1)  # items accepted so far in this job
        n_r = Signal(iw + 1)
        left = Signal(iw + 1)  # items still to emit

        x = self.scores.payload
        below = [~valid[i] | (x > score[i]) for i in range(slots)]
        n_in = Mux(count == 0, self.n, n_r)
        k_in = Mux(count == 0, self.k, left)

        with m.FSM():
            with m.State("LOAD"):
                m.d.comb += [self.scores.ready.eq(1), self.busy.eq(count != 0)]
                with m.If(self.scores.valid):
                    for i in range(slots):
                        with m.If(below[i]):
                            if i == 0:
                                m.d.sync += [valid[0].eq(1), score[0].eq(x), index[0].eq(count)]
                            else:
                                m.d.sync += [
                                    valid[i].eq(below[i - 1].bool() & valid[i - 1]
                                                | ~below[i - 1]),
                                    score[i].eq(Mux(below[i - 1], score[i - 1], x)),
                                    index[i].eq(Mux(below[i - 1], index[i - 1], count)),
                                ]
                    m.d.sync += count.eq(count + 1)
                    with m.If(count == 0):
                        m.d.sync += [n_r.eq(self.n), left.eq(self.k)]
                    with m.If(count == n_in - 1):
                        m.d.sync += [count.eq(0),
                                     left.eq(Mux(k_in < n_in, k_in, n_in).as_unsigned())]
                        with m.If(k_in != 0):
                            m.next = "DRAIN"
                        with m.Else():
                            m.d.sync += [v.eq(0) for v in valid]
            with m.State("DRAIN"):
                m.d.comb += [self.busy.eq(1), self.items.valid.eq(1),
                             self.items.payload.index.eq(index[0]),
                             self.items.payload.score.eq(score[0])]
                with m.If(self.items.ready):
                    for i in range(slots - 1):
                        m.d.sync += [valid[i].eq(valid[i + 1]), score[i].eq(score[i + 1]),
                                     index[i].eq(index[i + 1])]
                    m.d.sync += [valid[slots - 1].eq(0), left.eq(left - 1)]
                    with m.If((left == 1) | ~valid[1] if slots > 1 else 1):
                        m.d.sync += [v.eq(0) for v in valid]
                        m.next = "LOAD"
        return m
