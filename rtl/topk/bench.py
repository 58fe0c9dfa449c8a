"""cocotb bench for the top-k engines' exported Verilog (run by :mod:`accelsim.rtl.topk.harness`).

The harness writes ``vectors.npz`` (scores, n, k, z, flow-control mode per vector) and
``config.json`` (engine, params) into ``$TOPK_IO_DIR``; this bench plays every vector through one
simulation and writes ``results.npz``: the emitted indices (flattened, with per-vector counts)
and the cycles from a job's first accepted beat until ``busy`` falls.

Streams are driven and sampled as :mod:`accelsim.rtl.bench` says.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import cocotb
import numpy as np
from cocotb.simtime import get_sim_time
from cocotb.triggers import FallingEdge, First, RisingEdge

from accelsim.rtl.bench import PERIOD_NS, StreamTB
from accelsim.rtl.topk.common import ENGINE_COMPONENTS
from accelsim.topk.base import TopKParams, engine_params

MAX_JOB_CYCLES = 1 << 22  # a job that runs longer is a hang (largest job: ~max_n**2 / P cycles)


class TB(StreamTB):
    """Drives one top-k engine: scores in, items out, the job's ``n``, ``k`` (and ``z``) alongside."""

    def __init__(self, dut, engine: str, params: TopKParams) -> None:
        super().__init__(dut, "scores", "items")
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
        self.wake = First(RisingEdge(dut.items__valid), FallingEdge(dut.busy))

    def _items(self, payload: int) -> list[int]:
        if self.serial:
            return [payload & ((1 << self.iw) - 1)]
        p = self.params.input_parallelism
        count = payload >> (p * (self.iw + self.width))
        mask = (1 << self.iw) - 1
        return [(payload >> (self.iw * j)) & mask for j in range(count)]

    async def run_job(self, scores: np.ndarray, n: int, k: int, z: int) -> tuple[list[int], int]:
        """Play one job; return the emitted indices and its cycles from its first accepted beat until
        ``busy`` falls."""
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
            if bi == len(beats):
                self.end_job()
                if not int(dut.busy.value):
                    return out, round((now - t0) / PERIOD_NS)
                if not int(self.sink_valid.value):
                    # nothing to send or take until an item shows up or the job ends: skip ahead
                    await self.wake
                    await self.edge
                    continue
            sent, item = await self.cycle(beats[bi] if bi < len(beats) else None)
            if sent:
                t0 = now if t0 is None else t0
                bi += 1
            if item is not None:
                out.extend(self._items(item))
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
        tb.flow_control(int(vec["mode"][i]), rng)
        n = int(vec["n"][i])
        out, cyc = await tb.run_job(vec["scores"][i, :n], n, int(vec["k"][i]), int(vec["z"][i]))
        emitted.extend(out)
        counts.append(len(out))
        cycles.append(cyc)
    tb.check_sink_empty()
    np.savez(
        io / "results.npz",
        emitted=np.asarray(emitted, dtype=np.int64),
        counts=np.asarray(counts, dtype=np.int64),
        cycles=np.asarray(cycles, dtype=np.int64),
    )
