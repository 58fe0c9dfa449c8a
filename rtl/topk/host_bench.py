"""cocotb bench of the UART top level (:class:`accelsim.rtl.topk.host.TopKHost`): the host's own
client (:class:`~accelsim.rtl.topk.protocol.TopKClient`) talks to the simulated serial pins.

``$TOPK_IO_DIR`` holds ``vectors.npz`` and ``config.json`` (``divisor``) as for
:mod:`accelsim.rtl.topk.bench`; the jobs run through :func:`~accelsim.rtl.topk.protocol.run_jobs`
in a :func:`cocotb.task.bridge` thread whose reads and writes resume the simulation, and the bench
writes ``results.npz`` in the same form.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.queue import Queue
from cocotb.task import bridge, resume
from cocotb.triggers import ClockCycles, FallingEdge, SimTimeoutError, Timer, with_timeout

from accelsim.rtl.bench import PERIOD_NS
from accelsim.rtl.topk.protocol import TopKClient, run_jobs

REPLY_TIMEOUT_CYCLES = 1 << 22  # no reply for this long: the top level hangs (largest job ~max_n**2/P)


class PinTransport:
    """The byte transport of the simulated top level: drives ``rx``, decodes ``tx``."""

    def __init__(self, dut, divisor: int) -> None:
        self.dut = dut
        self.bit_ns = divisor * PERIOD_NS
        self.received: Queue[int] = Queue()
        cocotb.start_soon(self._monitor())

    async def _monitor(self) -> None:
        """Decode bytes from ``tx``: sample mid-bit after each start edge."""
        while True:
            await FallingEdge(self.dut.tx)
            await Timer(self.bit_ns // 2, unit="ns")
            assert not int(self.dut.tx.value), "start bit not low at its middle"
            byte = 0
            for i in range(8):
                await Timer(self.bit_ns, unit="ns")
                byte |= int(self.dut.tx.value) << i
            await Timer(self.bit_ns, unit="ns")
            assert int(self.dut.tx.value), "stop bit not high"
            self.received.put_nowait(byte)

    async def _send(self, data: bytes) -> None:
        await FallingEdge(self.dut.clk)  # change the line away from the sampling edge
        for byte in data:
            for bit in (0, *((byte >> i) & 1 for i in range(8)), 1):
                self.dut.rx.value = bit
                await Timer(self.bit_ns, unit="ns")

    async def _recv(self, size: int) -> bytes:
        out = bytearray()
        try:
            for _ in range(size):
                out.append(await with_timeout(self.received.get(), REPLY_TIMEOUT_CYCLES * PERIOD_NS, "ns"))
        except SimTimeoutError:
            raise TimeoutError(f"top level sent {len(out)} of {size} bytes") from None
        return bytes(out)

    def write(self, data: bytes) -> None:
        resume(self._send)(data)

    def read(self, size: int) -> bytes:
        return resume(self._recv)(size)


@cocotb.test()
async def run_host_jobs(dut) -> None:
    """Play every vector through the serial pins; write ``results.npz``."""
    io = Path(os.environ["TOPK_IO_DIR"])
    cfg = json.loads((io / "config.json").read_text())
    vec = np.load(io / "vectors.npz")
    cocotb.start_soon(Clock(dut.clk, PERIOD_NS, unit="ns").start())
    dut.rx.value = 1
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    client = TopKClient(PinTransport(dut, cfg["divisor"]))
    items, cycles = await bridge(run_jobs)(client, vec["scores"], vec["n"], vec["k"], vec["z"])
    assert int(dut.rx.value) == 1, "rx left low"
    np.savez(
        io / "results.npz",
        emitted=np.concatenate([np.zeros(0, np.int64), *items]),
        counts=np.asarray([len(x) for x in items], dtype=np.int64),
        cycles=cycles,
    )
