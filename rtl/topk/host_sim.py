"""Run jobs through the simulated UART top level (cocotb + Icarus), the board's code path without
a board: :func:`verify_host` plays vectors through :mod:`accelsim.rtl.topk.host_bench` and compares
the answers with the numpy models as :func:`accelsim.rtl.topk.harness.verify` does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from accelsim.rtl.topk.harness import (
    Vectors,
    VerifyReport,
    build_sim,
    compare,
    emitted_items,
    job_z,
    params_key,
    run_bench,
)
from accelsim.topk.base import TopKParams

SIM_DIVISOR = 4  # clock cycles per UART bit in simulation: the fastest the receiver's half-bit wait allows
HOST_TOPLEVEL = "host"


def export_host_verilog(engine: str, params: TopKParams, divisor: int, path: Path) -> Path:
    """Write the Verilog of the UART top level (module ``host``) to ``path``."""
    from amaranth.back import verilog

    from accelsim.rtl.topk.host import TopKHost

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(verilog.convert(TopKHost(engine, params, divisor=divisor), name=HOST_TOPLEVEL))
    return path


def run_host_rtl(
    engine: str, params: TopKParams, vec: Vectors, workdir: Path, *, divisor: int = SIM_DIVISOR, seed: int = 0
) -> tuple[list[np.ndarray], np.ndarray, float]:
    """Simulate ``vec`` through the top level's serial pins; emitted indices, cycles, seconds."""
    src = workdir / f"host-{engine}-{divisor}-{params_key(engine, params)}" / f"{HOST_TOPLEVEL}.v"
    runner, io = build_sim(HOST_TOPLEVEL, src, lambda src: export_host_verilog(engine, params, divisor, src))
    np.savez(io / "vectors.npz", scores=vec.scores, n=vec.n, k=vec.k, z=job_z(params, vec))
    (io / "config.json").write_text(json.dumps({"divisor": divisor}))
    res, seconds = run_bench(runner, "accelsim.rtl.topk.host_bench", HOST_TOPLEVEL, io, "TOPK_IO_DIR", seed)
    return emitted_items(res), res["cycles"], seconds


def verify_host(
    engine: str, params: TopKParams, vec: Vectors, workdir: Path, *, divisor: int = SIM_DIVISOR, seed: int = 0
) -> VerifyReport:
    """Play ``vec`` through the simulated top level; compare with the engine's models (every job
    runs in free flow, so every job's cycles are compared)."""
    got, cycles, seconds = run_host_rtl(engine, params, vec, workdir, divisor=divisor, seed=seed)
    free = Vectors(vec.scores, vec.n, vec.k, np.zeros_like(vec.mode))
    return compare(engine, params, free, got, cycles, seconds)
