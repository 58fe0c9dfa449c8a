"""8N1 UART transmitter and receiver in Amaranth: one start bit, eight data bits LSB first, one
stop bit, ``divisor`` clock cycles per bit.

The receiver synchronises its pin, waits half a bit after the start edge, checks the start bit
there, then samples every ``divisor`` cycles; a byte with a bad stop bit is dropped. The byte
waits on its stream until taken; a byte arriving before then overwrites it (``overrun`` pulses).
"""

from amaranth import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out


def check_divisor(divisor: object) -> int:
    """``divisor`` if it is an integer of at least 2 (the receiver samples at half a bit)."""
    if not isinstance(divisor, int) or isinstance(divisor, bool) or divisor < 2:
        raise ValueError(f"UART divisor must be an integer of at least 2 clock cycles per bit, not {divisor!r}")
    return divisor


class _Uart(wiring.Component):
    """One end of the line; its ports are the subclass's annotations.

    Parameters
    ----------
    divisor : clock cycles per bit (clock frequency / baud rate), at least 2.
    """

    def __init__(self, *, divisor: int) -> None:
        self._divisor = check_divisor(divisor)
        super().__init__()


class UartTx(_Uart):
    """UART transmitter (``divisor`` as :class:`_Uart`).

    Members
    -------
    data : In(stream.Signature(8)) — bytes to send; taken when the line is idle.
    tx : Out(1) — the serial line, high when idle.
    """

    data: In(stream.Signature(8))
    tx: Out(1, init=1)

    def elaborate(self, platform) -> Module:
        m = Module()
        shreg = Signal(10, init=0x3FF)  # stop, data[7:0], start; shifted out LSB first
        bits = Signal(range(11))
        cnt = Signal(range(self._divisor))
        m.d.comb += [self.tx.eq(shreg[0]), self.data.ready.eq(bits == 0)]
        with m.If(bits == 0), m.If(self.data.valid):
            m.d.sync += [shreg.eq(Cat(0, self.data.payload, 1)), bits.eq(10), cnt.eq(self._divisor - 1)]
        with m.Elif(cnt == 0):
            m.d.sync += [shreg.eq(Cat(shreg[1:], 1)), bits.eq(bits - 1), cnt.eq(self._divisor - 1)]
        with m.Else():
            m.d.sync += cnt.eq(cnt - 1)
        return m


class UartRx(_Uart):
    """UART receiver (``divisor`` as :class:`_Uart`).

    Members
    -------
    rx : In(1, init=1) — the serial line (synchronised inside).
    data : Out(stream.Signature(8)) — received bytes.
    overrun : Out(1) — pulses when a byte replaces one that was not taken.
    """

    rx: In(1, init=1)
    data: Out(stream.Signature(8))
    overrun: Out(1)

    def elaborate(self, platform) -> Module:
        m = Module()
        div = self._divisor
        rx = Signal(init=1)
        m.submodules.sync = FFSynchronizer(self.rx, rx, init=1)
        cnt = Signal(range(div))
        bits = Signal(range(9))
        shreg = Signal(8)
        with m.If(self.data.ready):
            m.d.sync += self.data.valid.eq(0)
        with m.FSM():
            with m.State("IDLE"), m.If(~rx):
                m.d.sync += cnt.eq(div // 2 - 1)
                m.next = "START"
            with m.State("START"):
                m.d.sync += cnt.eq(cnt - 1)
                with m.If(cnt == 0):
                    m.d.sync += [cnt.eq(div - 1), bits.eq(8)]
                    with m.If(rx):  # a glitch, not a start bit
                        m.next = "IDLE"
                    with m.Else():
                        m.next = "DATA"
            with m.State("DATA"):
                m.d.sync += cnt.eq(cnt - 1)
                with m.If(cnt == 0):
                    m.d.sync += [cnt.eq(div - 1), bits.eq(bits - 1), shreg.eq(Cat(shreg[1:], rx))]
                    with m.If(bits == 1):
                        m.next = "STOP"
            with m.State("STOP"):
                m.d.sync += cnt.eq(cnt - 1)
                with m.If(cnt == 0):
                    with m.If(rx):
                        m.d.sync += [self.data.payload.eq(shreg), self.data.valid.eq(1)]
                        m.d.comb += self.overrun.eq(self.data.valid & ~self.data.ready)
                    m.next = "IDLE"
        return m
