"""Zero eliminator: packs the valid lanes of a vector to its low end, keeping their order.

SpAtten Sec. IV-D: a prefix sum gives each valid lane the number of invalid lanes before it (its
shift); ``ceil(log2 P)`` shifter stages then move each element down by its shift, stage s moving
by ``2**s`` when bit s of the shift is set. Processing shift bits from the least significant one
keeps elements from colliding, because shifts never decrease along the vector and grow by at
most one per invalid lane skipped.
"""

from __future__ import annotations

from amaranth import Const, Module, Mux, Signal, unsigned
from amaranth.hdl import Shape, ShapeCastable, ShapeLike, Value
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out


def _bits_of(shape: ShapeLike) -> int:
    if isinstance(shape, ShapeCastable):
        return Shape.cast(shape.as_shape()).width
    return Shape.cast(shape).width


def tree_sum(bits: list[Value]) -> Value:
    """Sum of one-bit values as a balanced adder tree (0 for none)."""
    if not bits:
        return Const(0, 1)
    while len(bits) > 1:
        bits = [a + b for a, b in zip(bits[::2], bits[1::2], strict=False)] + (
            [bits[-1]] if len(bits) % 2 else [])
    return bits[0]


class ZeroEliminator(wiring.Component):
    """Combinational lane compactor.

    Parameters
    ----------
    shape : shape of one element (a shape or a data layout).
    lanes : number of lanes P, a positive integer.

    Members
    -------
    i_data : In(ArrayLayout(shape, lanes)) — input elements.
    i_valid : In(lanes) — which input lanes hold an element.
    o_data : Out(ArrayLayout(shape, lanes)) — the valid elements, in order, from lane 0.
    o_valid : Out(lanes) — lanes below ``o_count``.
    o_count : Out(range(lanes + 1)) — number of valid input lanes.

    Raises
    ------
    TypeError
        If ``lanes`` is not a positive integer.
    """

    def __init__(self, shape: ShapeLike, *, lanes: int) -> None:
        if not isinstance(lanes, int) or isinstance(lanes, bool) or lanes < 1:
            raise TypeError(f"Number of lanes must be a positive integer, not {lanes!r}")
        self._shape = shape
        self._lanes = lanes
        super().__init__({
            "i_data": In(data.ArrayLayout(shape, lanes)),
            "i_valid": In(lanes),
            "o_data": Out(data.ArrayLayout(shape, lanes)),
            "o_valid": Out(lanes),
            "o_count": Out(range(lanes + 1)),
        })

    @property
    def lanes(self) -> int:
        return self._lanes

    def elaborate(self, platform) -> Module:
        m = Module()
        p = self._lanes
        width = _bits_of(self._shape)
        stages = (p - 1).bit_length()
        shift_shape = unsigned(max(stages, 1))

        # Prefix sum: the shift of lane i is the number of invalid lanes below it, each lane's
        # count a balanced adder tree (a ripple chain makes event simulators re-evaluate the
        # shifter once per link).
        inval = Signal(p)
        m.d.comb += inval.eq(~self.i_valid)
        elems = []
        for i in range(p):
            d = Signal(width, name=f"d0_{i}")
            v = Signal(name=f"v0_{i}")
            sh = Signal(shift_shape, name=f"sh0_{i}")
            m.d.comb += [d.eq(Value.cast(self.i_data[i])), v.eq(self.i_valid[i]),
                         sh.eq(tree_sum([inval[j] for j in range(i)]))]
            elems.append((d, v, sh))
        m.d.comb += self.o_count.eq(tree_sum([self.i_valid[j] for j in range(p)]))

        # Shifter stages, least significant shift bit first.
        for s in range(stages):
            step = 1 << s
            nxt = []
            for j in range(p):
                d = Signal(width, name=f"d{s + 1}_{j}")
                v = Signal(name=f"v{s + 1}_{j}")
                sh = Signal(shift_shape, name=f"sh{s + 1}_{j}")
                here_d, here_v, here_sh = elems[j]
                stay = here_v & ~here_sh[s]
                if j + step < p:
                    up_d, up_v, up_sh = elems[j + step]
                    arrive = up_v & up_sh[s]
                    m.d.comb += [
                        d.eq(Mux(arrive, up_d, here_d)),
                        sh.eq(Mux(arrive, up_sh, here_sh)),
                        v.eq(arrive | stay),
                    ]
                else:
                    m.d.comb += [d.eq(here_d), sh.eq(here_sh), v.eq(stay)]
                nxt.append((d, v, sh))
            elems = nxt

        for j, (d, v, _) in enumerate(elems):
            m.d.comb += [self.o_data[j].eq(d), self.o_valid[j].eq(v)]
        return m
