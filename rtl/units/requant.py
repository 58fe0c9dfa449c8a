"""The progressive-quantization decision in Amaranth (SpAtten RTL RequantDecision.scala).

A max tree over the beat's lanes, a running max over the row, and at the row's last beat a registered
decision ``max < threshold``; see :mod:`accelsim.hw.requant` for the format and the timing.
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from accelsim.hw.requant import RequantParams
from accelsim.rtl.units.softmax import tree


def beat_layout(params: RequantParams) -> data.StructLayout:
    """One input beat: ``parallelism`` probabilities, the row's threshold and its ``last`` flag."""
    return data.StructLayout(
        {
            "p": data.ArrayLayout(unsigned(params.width), params.parallelism),
            "threshold": unsigned(params.width + 1),
            "last": 1,
        }
    )


def decision_layout(params: RequantParams) -> data.StructLayout:
    """One decision: ``need_requant`` and the row's max probability."""
    return data.StructLayout({"need_requant": 1, "max": unsigned(params.width)})


class RequantDecision(wiring.Component):
    """Row max and threshold compare.

    Parameters
    ----------
    params : the unit's :class:`~accelsim.hw.requant.RequantParams`.

    Members
    -------
    beats : In(stream.Signature(beat_layout(params))) — the softmax's output beats, ``last`` on a row's
        final one, which also carries the threshold used.
    decisions : Out(stream.Signature(decision_layout(params))) — one per row.

    Raises
    ------
    TypeError
        If ``params`` is not a :class:`RequantParams`.
    """

    def __init__(self, params: RequantParams) -> None:
        if not isinstance(params, RequantParams):
            raise TypeError(f"Requant parameters must be a RequantParams, not {params!r}")
        self._params = params
        super().__init__(
            {
                "beats": In(stream.Signature(beat_layout(params))),
                "decisions": Out(stream.Signature(decision_layout(params))),
            }
        )

    @property
    def params(self) -> RequantParams:
        return self._params

    def elaborate(self, platform) -> Module:
        m = Module()
        prm = self._params
        beat = self.beats.payload
        run = Signal(prm.width)  # max of the row's beats so far (0 at a row's start)
        bmax = tree([beat.p[j] for j in range(prm.parallelism)], lambda a, b: Mux(a > b, a, b))
        top = Mux(bmax > run, bmax, run)
        out = self.decisions
        take = self.beats.valid & self.beats.ready
        m.d.comb += self.beats.ready.eq(~beat.last | ~out.valid | out.ready)
        with m.If(out.valid & out.ready):
            m.d.sync += out.valid.eq(0)
        with m.If(take):
            m.d.sync += run.eq(Mux(beat.last, 0, top))
            with m.If(beat.last):
                m.d.sync += [
                    out.valid.eq(1),
                    out.payload.max.eq(top),
                    out.payload.need_requant.eq(top < beat.threshold),
                ]
        return m
