"""Top-k calibration grid: each engine's cycle model against its RTL under cocotb + Icarus.

Covers: issue 3's calibration bound (mean relative cycle error <= 5 %, max <= 15 %) over
n in {64, 256, 1024} x k in {n/8, n/2} for quickselect, streaming and statistical.
Scenario: vectors of uniform random scores (``harness.grid_vectors``) go through
``harness.verify`` -- the machinery of ``accelsim rtl verify --json`` -- in chunks, one simulation
at a time; the next chunk goes to the unfinished case with the least simulation time so far, so
a wall-time limit leaves the slow cases with as many vectors as fit. Each chunk appends
``accelsim rtl verify``'s JSON object to a JSONL log; a rerun resumes from it, and ``--table``
prints the per-case Markdown table.

Each case runs on a design sized for it: P = 4 comparators per array (Icarus runs P = 16 far
slower), index width log2(n); the streaming chain has k slots.

Run: ``python benchmarks/topk_calibration.py --vectors 1000 --minutes 88 --log cal.jsonl``
then ``python benchmarks/topk_calibration.py --log cal.jsonl --table``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from accelsim.rtl.topk import harness
from accelsim.topk import TopKParams, engine_params

RANDOM_SEED = 2021  # SpAtten's year; chunk c of a case uses RANDOM_SEED + c
ENGINES = ("quickselect", "streaming", "statistical")
SIZES = (64, 256, 1024)  # issue 3: calibration job sizes
PARALLELISM = 4  # comparators per array in the simulated RTL
CHUNK_SECONDS = 120  # aim of one simulation's length: start-up (~3 s) stays small
FIRST_CHUNK = 10  # vectors of a case's first chunk, before its speed is known
MAX_CHUNK = 250


def case_params(engine: str, n: int, k: int) -> TopKParams:
    """The design that runs jobs of ``n`` items: index width log2(n), streaming slots k."""
    own = {"max_k": k} if engine == "streaming" else {}
    return engine_params(engine, parallelism=PARALLELISM, index_width=n.bit_length() - 1, **own)


def progress(log: Path) -> dict[tuple[str, int, int], list[int | float]]:
    """Chunks, vectors and Icarus seconds already in the log, per (engine, n, k)."""
    done: dict[tuple[str, int, int], list[int | float]] = {}
    if log.exists():
        for line in log.read_text().splitlines():
            row = json.loads(line)
            rec = done.setdefault((row["engine"], row["n"], row["k"]), [0, 0, 0.0])
            rec[0] += 1
            rec[1] += row["report"]["vectors"]
            rec[2] += row["report"]["rtl_seconds"]
    return done


def run_chunk(engine: str, n: int, k: int, chunk: int, size: int, workdir: Path) -> dict:
    """``size`` grid vectors of one case through the RTL and the models."""
    params = case_params(engine, n, k)
    seed = RANDOM_SEED + chunk
    vec = harness.grid_vectors(params, size, np.random.default_rng(seed), sizes=(n,))
    rows = vec.k == k
    vec = harness.Vectors(vec.scores[rows], vec.n[rows], vec.k[rows], vec.mode[rows])
    report = harness.verify(engine, params, vec, workdir, seed=seed)
    return {"engine": engine, "n": n, "k": k, "chunk": chunk, "seed": seed,
            "report": report.as_dict()}


def run(args: argparse.Namespace) -> None:
    """Next chunk always for the unfinished case with the least Icarus time, until time runs out.

    Cheap cases reach ``--vectors`` first and hand their time to the slow ones; a chunk is sized
    from the case's measured seconds per vector to last about ``CHUNK_SECONDS``.
    """
    deadline = time.monotonic() + 60 * args.minutes
    done = progress(args.log)
    cases = [(e, n, k) for e in args.engines for n in SIZES for k in (n // 8, n // 2)]
    for case in cases:
        done.setdefault(case, [0, 0, 0.0])
    while time.monotonic() < deadline:
        todo = [c for c in cases if done[c][1] < args.vectors]
        if not todo:
            return
        case = min(todo, key=lambda c: done[c][2])
        chunks, vectors, seconds = done[case]
        per_vector = seconds / vectors if vectors else CHUNK_SECONDS / FIRST_CHUNK
        size = int(min(args.vectors - vectors, max(1, min(MAX_CHUNK, CHUNK_SECONDS / per_vector))))
        row = run_chunk(*case, chunks, size, args.workdir.resolve())
        with args.log.open("a") as f:
            f.write(json.dumps(row) + "\n")
        rep = row["report"]
        done[case] = [chunks + 1, vectors + rep["vectors"], seconds + rep["rtl_seconds"]]
        print(f"{case}: {done[case][1]} vectors, {rep['mismatches']} mismatches in this chunk of "
              f"{size}, error max {rep['cycle_error_max']:.4f}, {rep['rtl_seconds']:.0f} s", flush=True)


def table(log: Path) -> str:
    """Markdown table of the log, one row per (engine, n, k)."""
    cases: dict[tuple[str, int, int], list[dict]] = {}
    for line in log.read_text().splitlines():
        row = json.loads(line)
        cases.setdefault((row["engine"], row["n"], row["k"]), []).append(row["report"])
    out = ["| engine | n | k | vectors | mismatches | RTL cycles (mean) | model cycles (mean) "
           "| error mean | error max | Icarus s |", "|---|---|---|---|---|---|---|---|---|---|"]
    for (engine, n, k), reps in sorted(cases.items(), key=lambda c: (ENGINES.index(c[0][0]),
                                                                      c[0][1:])):
        w = np.array([r["timed_vectors"] for r in reps], dtype=float)

        def mean(key: str, reps: list[dict] = reps, w: np.ndarray = w) -> float:
            return float(np.average([r[key] for r in reps], weights=w))

        out.append(f"| {engine} | {n} | {k} | {sum(r['vectors'] for r in reps):,} "
                   f"| {sum(r['mismatches'] for r in reps)} | {mean('rtl_cycles_mean'):.2f} "
                   f"| {mean('model_cycles_mean'):.2f} | {mean('cycle_error_mean'):.4f} "
                   f"| {max(r['cycle_error_max'] for r in reps):.4f} "
                   f"| {sum(r['rtl_seconds'] for r in reps):,.0f} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=int, default=1000, help="target vectors per (engine, n, k)")
    ap.add_argument("--minutes", type=float, default=float("inf"), help="start no chunk after this")
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    ap.add_argument("--workdir", type=Path, default=Path("sim_build/topk_calibration"))
    ap.add_argument("--log", type=Path, default=Path("topk_calibration.jsonl"))
    ap.add_argument("--table", action="store_true", help="print the log's table and exit")
    args = ap.parse_args()
    if args.table:
        print(table(args.log))
    else:
        run(args)


if __name__ == "__main__":
    main()
