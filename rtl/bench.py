"""What the cocotb benches of the streaming RTL share (taxi's bench habits): the clock, reset, the
flow-control patterns crossed over source idle and sink back-pressure, and one handshake cycle of
an input stream and an output stream.

Inputs are driven at the falling clock edge and the handshakes sampled ``SETTLE_NS`` later, after
the combinational logic has settled (a ready may follow the sink's ready in the same cycle); the
rising edge between two falling edges takes what was sampled.
"""

from __future__ import annotations

import itertools
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, Timer

PERIOD_NS = 10  # clock period; cycles are measured as sim time / period
SETTLE_NS = 1  # after the falling edge: inputs applied, outputs settled


def cycle_pause():
    """Flow-control pattern of taxi's benches: on three cycles of four."""
    return itertools.cycle((1, 1, 1, 0))


def random_pause(rng: random.Random, p_on: float):
    """On with probability ``p_on`` each cycle."""
    while True:
        yield rng.random() < p_on


class StreamTB:
    """Drives a DUT with a clock ``clk``, a reset ``rst``, an input stream ``source`` and an output
    stream ``sink`` (Amaranth stream ports: ``{name}__valid``, ``__ready``, ``__payload``)."""

    def __init__(self, dut, source: str, sink: str) -> None:
        self.dut = dut
        self.source_valid, self.source_ready, self.source_payload = (
            getattr(dut, f"{source}__{part}") for part in ("valid", "ready", "payload")
        )
        self.sink_valid, self.sink_ready, self.sink_payload = (
            getattr(dut, f"{sink}__{part}") for part in ("valid", "ready", "payload")
        )
        self.edge = FallingEdge(dut.clk)
        self.flow_control(0, None)
        cocotb.start_soon(Clock(dut.clk, PERIOD_NS, unit="ns").start())

    def flow_control(self, mode: int, rng: random.Random | None) -> None:
        """0: free flow; 1: the sink takes a beat on half the cycles at random (``rng``); 2: as 1, and the
        source offers on three cycles of four."""
        self.backpressure = random_pause(rng, 0.5) if mode else itertools.repeat(1)
        self.idle = cycle_pause() if mode == 2 else itertools.repeat(1)

    async def reset(self) -> None:
        self.dut.rst.value = 1
        self.source_valid.value = 0
        self.sink_ready.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst.value = 0
        await self.edge

    async def cycle(self, word: int | None, side: dict[str, int] | None = None) -> tuple[bool, int | None]:
        """One clock cycle from a falling edge to the next: offer ``word`` (None: nothing to send) with the
        side ports ``side`` when the idle pattern allows, ready the sink when the back-pressure pattern
        allows. Whether ``word`` was taken, and the payload the sink took (None: none)."""
        offer = word is not None and next(self.idle)
        self.source_valid.value = int(offer)
        if offer:
            self.source_payload.value = word
            for name, value in (side or {}).items():
                getattr(self.dut, name).value = value
        self.sink_ready.value = int(next(self.backpressure))
        await Timer(SETTLE_NS, "ns")
        sent = bool(offer and int(self.source_ready.value))
        taken = int(self.sink_payload.value) if int(self.sink_valid.value) and int(self.sink_ready.value) else None
        await self.edge
        return sent, taken

    def end_job(self) -> None:
        """Stop offering: a beat left valid after the job's last one would be taken again."""
        self.source_valid.value = 0

    def check_sink_empty(self) -> None:
        """Every bench ends with nothing left to take."""
        assert not int(self.sink_valid.value), "output stream not empty after the last job"
