"""Run a top-k engine's Verilog under cocotb + Icarus and check it against its numpy model.

:func:`verify` exports the component built from a :class:`TopKParams`, compiles it once per
parameter set (cached under the work directory), plays random and edge-case vectors through
:mod:`accelsim.rtl.topk.bench`, and compares the emitted items with the engine's functional
model and the measured cycles with its cycle model.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accelsim.rtl.topk.common import ENGINE_COMPONENTS
from accelsim.topk import get_engine
from accelsim.topk.base import TopKParams
from accelsim.topk.statistical import StatisticalParams, z_coefficient

TOPLEVEL = "topk"
BACKPRESSURE_SHARE = 8  # one random vector in 8 runs under flow control (modes 1 and 2)


class ToolMissing(RuntimeError):
    """An external tool is not installed; the message names the Debian package."""


def require_tool(binary: str, package: str) -> str:
    """Path of ``binary``, or :class:`ToolMissing` naming the Debian ``package``."""
    path = shutil.which(binary)
    if path is None:
        raise ToolMissing(f"{binary} not found; install it with: sudo apt-get install {package}")
    return path


def params_key(engine: str, params: TopKParams) -> str:
    """Short hash of an engine, its params and the RTL sources (names build directories)."""
    text = json.dumps([engine, params.as_dict()], sort_keys=True)
    digest = hashlib.sha256(text.encode())
    for src in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(src.read_bytes())
    return digest.hexdigest()[:12]


def export_verilog(engine: str, params: TopKParams, path: Path) -> Path:
    """Write the Verilog of ``engine``'s component (top module ``topk``) to ``path``."""
    from amaranth.back import verilog

    from accelsim.rtl.topk.common import build_component

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(verilog.convert(build_component(engine, params), name=TOPLEVEL))
    return path


@dataclass
class Vectors:
    """Jobs for the bench: integer scores [V, max_n] (row i valid up to n[i]) and controls."""

    scores: np.ndarray
    n: np.ndarray
    k: np.ndarray
    mode: np.ndarray  # 0: free flow, 1: sink back-pressure, 2: source idles + back-pressure

    def __len__(self) -> int:
        return len(self.n)


def _scores(rng: np.random.Generator, count: int, n: int, width: int) -> np.ndarray:
    top = 1 << width
    kind = rng.integers(0, 3, count)
    uniform = rng.integers(0, top, (count, n))
    normal = np.clip(rng.normal(top / 2, top / 8, (count, n)), 0, top - 1).astype(np.int64)
    ties = rng.integers(0, min(4, top), (count, n))  # few distinct values: many ties
    return np.where(kind[:, None] == 0, uniform, np.where(kind[:, None] == 1, normal, ties))


def edge_vectors(params: TopKParams, rng: np.random.Generator) -> Vectors:
    """Known corner cases: n = 1, k = 1, k = n, k = 0, ties, all equal, n not a multiple of P,
    maximum n, and flow control on both streams."""
    mx, p, w = params.max_n, params.parallelism, params.width
    cases = [  # (n, k, kind, mode)
        (1, 1, "uniform", 0),
        (1, 0, "uniform", 0),
        (mx, 1, "uniform", 0),
        (mx, mx, "uniform", 0),
        (mx, mx // 8 or 1, "uniform", 0),
        (mx, mx // 2, "equal", 0),
        (min(mx, p + 1), 2, "ties", 0),
        (min(mx, 2 * p - 1 if p > 1 else 3), 1, "ties", 0),
        (max(1, mx - 1), max(1, mx // 3), "ties", 0),
        (mx, mx // 2 or 1, "uniform", 1),
        (max(1, mx - 3), mx // 4 or 1, "ties", 2),
        (mx, mx, "equal", 2),
        (min(mx, 3 * p + 1), min(mx, 3 * p + 1), "uniform", 1),
    ]
    slots = getattr(params, "slots", mx)  # the streaming engine's k cap
    if slots < mx:
        cases.append((mx, slots + 1, "uniform", 0))
    rows = np.zeros((len(cases), mx), dtype=np.int64)
    for i, (n, _, kind, _) in enumerate(cases):
        if kind == "equal":
            rows[i, :n] = (1 << w) // 3
        elif kind == "ties":
            rows[i, :n] = rng.integers(0, min(4, 1 << w), n)
        else:
            rows[i, :n] = rng.integers(0, 1 << w, n)
    return Vectors(rows, *(np.array([c[j] for c in cases], dtype=np.int64) for j in (0, 1, 3)))


def random_vectors(params: TopKParams, count: int, rng: np.random.Generator) -> Vectors:
    """Random n in [1, max_n], k in [1, n], mixed score distributions, some with flow control."""
    mx = params.max_n
    n = rng.integers(1, mx + 1, count)
    k = 1 + (rng.random(count) * n).astype(np.int64)
    scores = _scores(rng, count, mx, params.width)
    scores[np.arange(mx)[None, :] >= n[:, None]] = 0
    mode = np.where(rng.integers(0, BACKPRESSURE_SHARE, count) == 0, rng.integers(1, 3, count), 0)
    return Vectors(scores, n, k, mode)


def grid_vectors(
    params: TopKParams, per_case: int, rng: np.random.Generator, sizes: tuple[int, ...] = (64, 256, 1024)
) -> Vectors:
    """Calibration grid: uniform random scores, n in ``sizes`` (up to max_n), k in {n/8, n/2}."""
    ns, ks = [], []
    for n in sizes:
        if n <= params.max_n:
            for k in (n // 8, n // 2):
                ns += [n] * per_case
                ks += [k] * per_case
    n, k = np.asarray(ns, dtype=np.int64), np.asarray(ks, dtype=np.int64)
    scores = rng.integers(0, 1 << params.width, (len(n), params.max_n))
    scores[np.arange(params.max_n)[None, :] >= n[:, None]] = 0
    return Vectors(scores, n, k, np.zeros(len(n), dtype=np.int64))


def concat(*parts: Vectors) -> Vectors:
    """Vectors of all parts, in order."""
    return Vectors(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(Vectors)))


@dataclass
class Expected:
    """What the numpy models predict for a set of vectors."""

    items: list[np.ndarray]  # indices in the order the RTL emits them
    cycles: np.ndarray  # input + compute cycles without flow control


def expected(engine: str, params: TopKParams, vec: Vectors) -> Expected:
    """Functional and cycle model of ``engine`` on every vector (grouped by n for batching)."""
    eng = get_engine(engine, params)
    items: list[np.ndarray] = [np.zeros(0, np.int64)] * len(vec)
    cycles = np.zeros(len(vec), dtype=np.int64)
    rng = np.random.default_rng(0)  # no engine with RTL draws from it
    for n in np.unique(vec.n):
        rows = np.flatnonzero(vec.n == n)
        x = vec.scores[rows, :n].astype(np.float64)
        sel = eng.select(x, vec.k[rows], rng)
        cycles[rows] = eng.total_cycles(np.full(len(rows), n), vec.k[rows], sel.passes)
        for r, mask, xs in zip(rows, sel.mask, x, strict=True):
            idx = np.flatnonzero(mask)
            if ENGINE_COMPONENTS[engine].RANKED:  # emitted largest first, earliest index among equals
                idx = idx[np.lexsort((idx, -xs[idx]))]
            items[r] = idx
    return Expected(items, cycles)


@dataclass
class VerifyReport:
    """Outcome of :func:`verify`; ``as_dict`` gives the CLI's JSON."""

    engine: str
    params: TopKParams
    vectors: int
    mismatches: int
    rtl_cycles_mean: float
    model_cycles_mean: float
    cycle_error_mean: float
    cycle_error_max: float
    timed_vectors: int
    first_mismatch: str | None
    rtl_seconds: float

    def as_dict(self) -> dict:
        return {
            "engine": self.engine,
            "params": self.params.as_dict(),
            "vectors": self.vectors,
            "mismatches": self.mismatches,
            "rtl_cycles_mean": self.rtl_cycles_mean,
            "model_cycles_mean": self.model_cycles_mean,
            "cycle_error_mean": self.cycle_error_mean,
            "cycle_error_max": self.cycle_error_max,
            "timed_vectors": self.timed_vectors,
            "first_mismatch": self.first_mismatch,
            "rtl_seconds": self.rtl_seconds,
        }


def build_sim(toplevel: str, src: Path, export: Callable[[Path], object], waves: bool = False) -> tuple[object, Path]:
    """The Icarus runner of the Verilog ``src`` (written by ``export(src)`` if missing; its folder is the
    build directory, compiled once) and a fresh folder there for one bench run's vectors and results."""
    from cocotb_tools.runner import get_runner

    require_tool("iverilog", "iverilog")
    if not src.exists():
        export(src)
    runner = get_runner("icarus")
    # -g2005: under cocotb's default -g2012, Amaranth's always @* blocks may not run at time 0
    runner.build(
        sources=[src],
        hdl_toplevel=toplevel,
        build_dir=src.parent,
        build_args=["-g2005"],
        waves=waves,
        timescale=("1ns", "1ps"),
        log_file=src.parent / "build.log",
    )
    return runner, Path(tempfile.mkdtemp(prefix="io-", dir=src.parent))


def run_bench(
    runner, test_module: str, toplevel: str, io: Path, io_var: str, seed: int, waves: bool = False
) -> tuple[dict[str, np.ndarray], float]:
    """Run the cocotb ``test_module`` on a ``runner`` of :func:`build_sim` with its vectors in ``io`` (its
    folder, named to the bench by the environment variable ``io_var``); the bench's ``results.npz`` and
    the simulation's seconds.
    ``io`` is removed after; RuntimeError naming the log if the bench failed."""
    from cocotb_tools.runner import get_results

    env = {io_var: str(io), "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    start = time.perf_counter()
    results_xml = runner.test(
        test_module=test_module,
        hdl_toplevel=toplevel,
        build_dir=io.parent,
        test_dir=io,
        extra_env=env,
        waves=waves,
        seed=seed,
        log_file=io / "sim.log",
    )
    seconds = time.perf_counter() - start
    _, failed = get_results(results_xml)
    if failed or not (io / "results.npz").exists():
        raise RuntimeError(f"cocotb bench {test_module} failed; see {io / 'sim.log'}")
    res = dict(np.load(io / "results.npz"))
    shutil.rmtree(io)
    return res, seconds


def emitted_items(res: dict[str, np.ndarray]) -> list[np.ndarray]:
    """A top-k bench's emitted indices, one array per job (``emitted`` split by ``counts``)."""
    bounds = np.concatenate([[0], np.cumsum(res["counts"])])
    return np.split(res["emitted"], bounds[1:-1])


def job_z(params: TopKParams, vec: Vectors) -> np.ndarray:
    """Each vector's fixed-point Φ⁻¹(1 − k/n), the statistical engine's coefficient input; zeros for
    engines whose params have no ``z_frac_bits`` (no such input)."""
    if not isinstance(params, StatisticalParams):
        return np.zeros(len(vec.n), dtype=np.int64)
    return z_coefficient(np.maximum(vec.n, 1), vec.k, params.z_frac_bits)


def run_rtl(
    engine: str, params: TopKParams, vec: Vectors, workdir: Path, seed: int, waves: bool = False
) -> tuple[list[np.ndarray], np.ndarray, float]:
    """Simulate ``vec`` on the RTL; return emitted indices, cycles and simulation seconds."""
    build = workdir / f"{engine}-{params_key(engine, params)}"
    runner, io = build_sim(TOPLEVEL, build / "topk.v", lambda src: export_verilog(engine, params, src), waves)
    z = job_z(params, vec)
    np.savez(io / "vectors.npz", scores=vec.scores, n=vec.n, k=vec.k, z=z, mode=vec.mode)
    (io / "config.json").write_text(json.dumps({"engine": engine, "params": params.as_dict(), "seed": seed}))
    res, seconds = run_bench(runner, "accelsim.rtl.topk.bench", TOPLEVEL, io, "TOPK_IO_DIR", seed, waves)
    return emitted_items(res), res["cycles"], seconds


def verify(
    engine: str, params: TopKParams, vec: Vectors, workdir: Path, seed: int = 0, waves: bool = False
) -> VerifyReport:
    """Run ``vec`` on the RTL and compare with the engine's functional and cycle models."""
    got, rtl_cycles, seconds = run_rtl(engine, params, vec, workdir, seed, waves)
    return compare(engine, params, vec, got, rtl_cycles, seconds)


def compare(
    engine: str, params: TopKParams, vec: Vectors, got: list[np.ndarray], rtl_cycles: np.ndarray, seconds: float
) -> VerifyReport:
    """Compare the items and cycles the RTL gave for ``vec`` with the engine's models."""
    exp = expected(engine, params, vec)
    bad = [i for i in range(len(vec)) if not np.array_equal(got[i], exp.items[i])]
    first = None
    if bad:
        i = bad[0]
        first = (
            f"vector {i} (n={vec.n[i]}, k={vec.k[i]}): RTL emitted {got[i][:8].tolist()}..., "
            f"model {exp.items[i][:8].tolist()}..."
        )
    timed = vec.mode == 0
    rc, mc = rtl_cycles[timed].astype(float), exp.cycles[timed].astype(float)
    err = np.abs(mc - rc) / np.maximum(rc, 1)
    return VerifyReport(
        engine=engine,
        params=params,
        vectors=len(vec),
        mismatches=len(bad),
        rtl_cycles_mean=float(rc.mean()) if len(rc) else float("nan"),
        model_cycles_mean=float(mc.mean()) if len(mc) else float("nan"),
        cycle_error_mean=float(err.mean()) if len(err) else float("nan"),
        cycle_error_max=float(err.max()) if len(err) else float("nan"),
        timed_vectors=int(timed.sum()),
        first_mismatch=first,
        rtl_seconds=seconds,
    )
