"""cocotb bench for the top-k engines' exported Verilog (run by :mod:`accelsim.rtl.topk.harness`).

The harness writes ``vectors.npz`` (scores, n, k, z, flow-control mode per vector) and
``config.json`` (engine, params) into ``$TOPK_IO_DIR``; this bench plays every vector through one
simulation and writes ``results.npz``: the emitted indices (flattened, with per-vector counts)
and the cycles from a job's first accepted beat until ``busy`` falls.

Signals are driven and sampled at the falling clock edge: ``ready``/``valid`` outputs depend only
on state, so what is read there is what the next rising edge sees.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, FallingEdge, First, RisingEdge

from accelsim.rtl.topk.common import ENGINE_COMPONENTS
from accelsim.topk.base import TopKParams, engine_params

MAX_JOB_CYCLES = 1 << 22  # a job that runs longer is a hang (largest job: ~max_n**2 / P cycles)
PERIOD_NS = 10  # clock period; cycles are measured as sim time / period


def cycle_pause():
    """Flow-control pattern of taxi's benches: on three cycles of four."""
    while True:
        yield from (1, 1, 1, 0)


def random_pause(rng: random.Random, p_on: float):
    """On with probability ``p_on`` each cycle."""
    while True:
        yield rng.random() < p_on


class TB:
    """Drives one top-k engine: clock, reset, a score source and an item sink with flow control."""

    def __init__(self, dut, engine: str, params: TopKParams) -> None:
        self.dut = dut
        self.engine = engine
        self.params = params
        component = ENGINE_COMPONENTS[engine]
        self.serial = not component.LANES  # one score in, one item out per beat
        self.lanes = 1 if self.serial else params.input_parallelism
        self.has_z = "z" in component(params).signature.members  # the statistical engine's coefficient
        self.width = params.width
        self.iw = params.index_width
        # read the interface back from the HDL: it must match the params we were given
        assert len(dut.scores__payload) == self.lanes * self.width, "score port width"
        assert len(dut.n) == self.iw + 1, "n port width"
        self.idle = iter(lambda: 1, None)
        self.backpressure = iter(lambda: 1, None)
        self.edge = FallingEdge(dut.clk)
        cocotb.start_soon(Clock(dut.clk, PERIOD_NS, unit="ns").start())
        self.wake = First(RisingEdge(dut.items__valid), FallingEdge(dut.busy))

    def set_idle_generator(self, gen) -> None:
        """Source valid pattern (1: offer a beat this cycle)."""
        self.idle = gen if gen is not None else iter(lambda: 1, None)

    def set_backpressure_generator(self, gen) -> None:
        """Sink ready pattern (1: accept a beat this cycle)."""
        self.backpressure = gen if gen is not None else iter(lambda: 1, None)

    async def reset(self) -> None:
        self.dut.rst.value = 1
        self.dut.scores__valid.value = 0
        self.dut.items__ready.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst.value = 0
        await self.edge

    def _items(self, payload: int) -> list[int]:
        if self.serial:
            return [payload & ((1 << self.iw) - 1)]
        p = self.params.input_parallelism
        count = payload >> (p * (self.iw + self.width))
        mask = (1 << self.iw) - 1
        return [(payload >> (self.iw * j)) & mask for j in range(count)]

    async def run_job(self, scores: np.ndarray, n: int, k: int, z: int) -> tuple[list[int], int]:
        """Play one job; return the emitted indices and its cycle count."""
        dut = self.dut
        lanes, w = self.lanes, self.width
        beats = []
        for b in range(0, n, lanes):
            word = 0
            for j, v in enumerate(scores[b : b + lanes].tolist()):
                word |= int(v) << (w * j)
            beats.append(word)
        dut.n.value = n
        dut.k.value = k
        if self.has_z:
            dut.z.value = z
        out: list[int] = []
        bi, t0 = 0, None
        while True:
            now = get_sim_time("ns")
            busy = int(dut.busy.value)
            if bi == len(beats) and not busy:
                return out, round((now - t0) / PERIOD_NS)
            valid = int(dut.items__valid.value)
            take = next(self.backpressure)
            dut.items__ready.value = int(take)
            if valid and take:
                out.extend(self._items(int(dut.items__payload.value)))
            if bi < len(beats) and next(self.idle):
                dut.scores__valid.value = 1
                dut.scores__payload.value = beats[bi]
                if int(dut.scores__ready.value):
                    t0 = now if t0 is None else t0
                    bi += 1
            else:
                dut.scores__valid.value = 0
            if bi == len(beats) and not valid and busy:
                # nothing to send or take until an item shows up or the job ends: skip ahead
                await self.wake
            await self.edge
            assert t0 is None or now - t0 < MAX_JOB_CYCLES * PERIOD_NS, (
                f"job of n={n}, k={k} did not finish: busy stuck high"
            )


@cocotb.test()
async def run_vectors(dut) -> None:
    """Play every vector of ``$TOPK_IO_DIR/vectors.npz``; write ``results.npz``."""
    io = Path(os.environ["TOPK_IO_DIR"])
    cfg = json.loads((io / "config.json").read_text())
    params = engine_params(cfg["engine"], **cfg["params"])
    vec = np.load(io / "vectors.npz")
    tb = TB(dut, cfg["engine"], params)
    await tb.reset()
    rng = random.Random(cfg["seed"])
    emitted, counts, cycles = [], [], []
    for i in range(len(vec["n"])):
        mode = int(vec["mode"][i])  # 0: free flow, 1: sink back-pressure, 2: both sides stall
        tb.set_backpressure_generator(random_pause(rng, 0.5) if mode else None)
        tb.set_idle_generator(cycle_pause() if mode == 2 else None)
        n = int(vec["n"][i])
        out, cyc = await tb.run_job(vec["scores"][i, :n], n, int(vec["k"][i]), int(vec["z"][i]))
        emitted.extend(out)
        counts.append(len(out))
        cycles.append(cyc)
    # every job ends with the sink empty: nothing left to send
    assert not int(dut.items__valid.value), "item stream not empty after the last job"
    np.savez(
        io / "results.npz",
        emitted=np.asarray(emitted, dtype=np.int64),
        counts=np.asarray(counts, dtype=np.int64),
        cycles=np.asarray(cycles, dtype=np.int64),
    )
