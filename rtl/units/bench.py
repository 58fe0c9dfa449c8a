"""cocotb bench for the streaming units' exported Verilog (run by :mod:`accelsim.rtl.units.harness`).

Unit-agnostic: the harness writes ``config.json`` (the input and output stream names, their payload
fields as ``[name, bits, lanes]`` from bit 0 up, and the side ports) and ``vectors.npz`` (each input
field's lanes per beat, each side port's value per beat, and per job its input beats, output beats and
flow-control mode) into ``$UNIT_IO_DIR``. The bench plays every job, collects the output beats'
fields into ``results.npz`` and, per job, the cycles from its first accepted beat to its last output
beat (inclusive).

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

from accelsim.rtl.bench import PERIOD_NS, StreamTB

MAX_JOB_CYCLES = 1 << 20  # a job that runs longer is a hang


def pack(fields: list[list], values: dict[str, np.ndarray], beat: int) -> int:
    """The payload word of input ``beat`` from each field's lanes (two's complement, lane 0 lowest)."""
    word, pos = 0, 0
    for name, bits, lanes in fields:
        for j in range(lanes):
            word |= (int(values[name][beat, j]) & ((1 << bits) - 1)) << pos
            pos += bits
    return word


def unpack(fields: list[list], word: int) -> list[list[int]]:
    """Each field's lanes (unsigned) of an output payload word."""
    out, pos = [], 0
    for _, bits, lanes in fields:
        out.append([(word >> (pos + bits * j)) & ((1 << bits) - 1) for j in range(lanes)])
        pos += bits * lanes
    return out


class TB(StreamTB):
    """Drives one streaming unit: the stream named ``input`` in, ``output`` out, side ports per beat."""

    def __init__(self, dut, cfg: dict) -> None:
        super().__init__(dut, cfg["input"], cfg["output"])
        self.in_fields = cfg["in_fields"]
        self.out_fields = cfg["out_fields"]
        self.side = cfg["side"]
        # read the interface back from the HDL: it must match the layouts we were given
        assert len(self.source_payload) == sum(b * n for _, b, n in self.in_fields), "input width"
        assert len(self.sink_payload) == sum(b * n for _, b, n in self.out_fields), "output width"

    async def run_job(self, words: list[int], side: dict[str, list[int]], outputs: int) -> tuple[list[int], int]:
        """Play one job's input ``words``; return its ``outputs`` output payloads and its cycles."""
        got: list[int] = []
        bi, t0, t1 = 0, None, 0
        while len(got) < outputs:
            now = get_sim_time("ns")
            more = bi < len(words)
            sent, out = await self.cycle(
                words[bi] if more else None, {name: vals[bi] for name, vals in side.items()} if more else None
            )
            if sent:
                t0 = now if t0 is None else t0
                bi += 1
            if out is not None:
                got.append(out)
                t1 = now
            assert t0 is None or now - t0 < MAX_JOB_CYCLES * PERIOD_NS, "job did not finish"
        self.end_job()
        return got, round((t1 - t0) / PERIOD_NS) + 1


@cocotb.test()
async def run_vectors(dut) -> None:
    """Play every job of ``$UNIT_IO_DIR/vectors.npz``; write ``results.npz``."""
    io = Path(os.environ["UNIT_IO_DIR"])
    cfg = json.loads((io / "config.json").read_text())
    vec = np.load(io / "vectors.npz")
    tb = TB(dut, cfg)
    await tb.reset()
    rng = random.Random(cfg["seed"])
    values = {name: vec[f"in_{name}"] for name, _, _ in tb.in_fields}
    side = {name: vec[f"side_{name}"].tolist() for name in tb.side}
    words = [pack(tb.in_fields, values, b) for b in range(int(vec["job_beats"].sum()))]
    outs: list[int] = []
    cycles = []
    start = 0
    for beats, outputs, mode in zip(
        vec["job_beats"].tolist(), vec["job_outputs"].tolist(), vec["job_mode"].tolist(), strict=True
    ):
        tb.flow_control(mode, rng)
        got, cyc = await tb.run_job(
            words[start : start + beats], {k: v[start : start + beats] for k, v in side.items()}, outputs
        )
        start += beats
        outs.extend(got)
        cycles.append(cyc)
    tb.check_sink_empty()
    fields = [unpack(tb.out_fields, w) for w in outs]
    result = {
        f"out_{name}": np.asarray([f[i] for f in fields], dtype=np.int64).reshape(len(outs), lanes)
        for i, (name, _, lanes) in enumerate(tb.out_fields)
    }
    np.savez(io / "results.npz", cycles=np.asarray(cycles, dtype=np.int64), **result)
