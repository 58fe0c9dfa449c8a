"""The UART: a transmitter looped into a receiver passes every byte at every divisor."""

import random

import pytest
from amaranth import Module
from amaranth.sim import Simulator

from accelsim.rtl.uart import UartRx, UartTx


@pytest.mark.parametrize("divisor", [1, 0, -3, 2.5, True, "4"])
def test_divisor_checked(divisor):
    with pytest.raises(
        ValueError,
        match=r"^UART divisor must be an integer of at least 2 clock cycles per bit, "
        r"not .+$",
    ):
        UartTx(divisor=divisor)
    with pytest.raises(ValueError):
        UartRx(divisor=divisor)


def loopback(divisor, data):
    """Send ``data`` from a transmitter into a receiver; the bytes received."""
    m = Module()
    m.submodules.tx = tx = UartTx(divisor=divisor)
    m.submodules.rx = rx = UartRx(divisor=divisor)
    m.d.comb += rx.rx.eq(tx.tx)
    got = []

    async def bench(ctx):
        rng = random.Random(divisor)
        for byte in data:
            ctx.set(tx.data.payload, byte)
            ctx.set(tx.data.valid, 1)
            # once the transmitter takes the byte, the next may wait a random pause
            await ctx.tick().until(tx.data.ready)
            await ctx.tick()
            ctx.set(tx.data.valid, 0)
            for _ in range(rng.randrange(3)):
                await ctx.tick()
        for _ in range(12 * divisor):
            await ctx.tick()

    async def sink(ctx):
        while True:
            ctx.set(rx.data.ready, 1)
            _, _, valid, payload = await ctx.tick().sample(rx.data.valid, rx.data.payload)
            if valid:
                got.append(payload)

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.add_process(sink)
    sim.run()
    return got


@pytest.mark.parametrize("divisor", [2, 3, 4, 7, 8, 9])
def test_loopback_passes_every_byte(divisor):
    data = [0x00, 0xFF, 0x55, 0xAA, 0x01, 0x80, *random.Random(1).sample(range(256), 20)]
    assert loopback(divisor, data) == data


def test_line_idles_high():
    m = UartTx(divisor=4)
    sim = Simulator(m)
    sim.add_clock(1e-6)
    seen = []

    async def bench(ctx):
        for _ in range(10):
            await ctx.tick()
            seen.append(ctx.get(m.tx))

    sim.add_testbench(bench)
    sim.run()
    assert seen == [1] * 10
