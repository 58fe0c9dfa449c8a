"""Run a streaming unit's Verilog (softmax, requant, a plug-in unit's) under cocotb + Icarus against its numpy models.

:func:`verify` exports the unit's component, compiles it once per parameter set (cached under the work
directory), plays edge and random rows (:mod:`accelsim.rtl.units.cases`) through
:mod:`accelsim.rtl.units.bench`, and compares every output beat with the bit-exact model and the cycles
of every free-flowing job with the cycle model.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from accelsim.rtl.topk.harness import build_sim, run_bench
from accelsim.rtl.units.cases import CASES, Case, Rows, concat

TOPLEVEL = "unit"


def get_case(unit: str, params) -> Case:
    """The :class:`Case` of ``unit``; unknown names list the units with a bench."""
    try:
        return CASES[unit](params)
    except KeyError:
        raise KeyError(f"no RTL bench for unit {unit!r}; expected one of: {', '.join(sorted(CASES))}") from None


def params_key(case: Case) -> str:
    """Short hash of a unit, its params and the RTL sources, a plug-in's own module too (names build
    directories)."""
    digest = hashlib.sha256(json.dumps([case.name, case.params.model_dump()], sort_keys=True).encode())
    own = Path(inspect.getfile(type(case)))
    for src in sorted({*Path(__file__).parent.glob("*.py"), own}):
        digest.update(src.read_bytes())
    return digest.hexdigest()[:12]


def export_verilog(case: Case, path: Path) -> Path:
    """Write the Verilog of the unit's component (top module ``unit``) to ``path``."""
    from amaranth.back import verilog

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(verilog.convert(case.component(), name=TOPLEVEL))
    return path


def vectors(case: Case, count: int, seed: int) -> Rows:
    """The edge rows and ``count`` random rows of ``case``."""
    rng = np.random.default_rng(seed)
    return concat(case.edge_rows(rng), case.random_rows(count, rng))


def run_rtl(
    case: Case, rows: Rows, workdir: Path, seed: int, waves: bool = False
) -> tuple[dict[str, np.ndarray], np.ndarray, float]:
    """Simulate ``rows`` on the RTL; return the output fields per beat, cycles per job and seconds."""
    src = workdir / f"{case.name}-{params_key(case)}" / f"{TOPLEVEL}.v"
    runner, io = build_sim(TOPLEVEL, src, lambda src: export_verilog(case, src), waves)
    fields, side = case.encode(rows)
    jobs = len(rows.mode)
    job_beats = np.bincount(rows.job, weights=case.in_beats(rows), minlength=jobs).astype(np.int64)
    job_outputs = np.bincount(rows.job, weights=case.out_beats(rows), minlength=jobs).astype(np.int64)
    np.savez(
        io / "vectors.npz",
        job_beats=job_beats,
        job_outputs=job_outputs,
        job_mode=rows.mode,
        **{f"in_{k}": v for k, v in fields.items()},
        **{f"side_{k}": v for k, v in side.items()},
    )
    (io / "config.json").write_text(
        json.dumps(
            {
                "input": case.input,
                "output": case.output,
                "in_fields": case.in_fields(),
                "out_fields": case.out_fields(),
                "side": list(case.side),
                "seed": seed,
            }
        )
    )
    res, seconds = run_bench(runner, "accelsim.rtl.units.bench", TOPLEVEL, io, "UNIT_IO_DIR", seed, waves)
    cycles = res.pop("cycles")
    return {k.removeprefix("out_"): v for k, v in res.items()}, cycles, seconds


@dataclass
class UnitReport:
    """Outcome of :func:`verify`; ``as_dict`` gives the CLI's JSON."""

    unit: str
    params: dict
    vectors: int
    mismatches: int
    jobs: int
    timed_jobs: int
    cycle_mismatches: int
    rtl_cycles_mean: float
    model_cycles_mean: float
    first_mismatch: str | None
    rtl_seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def verify(case: Case, rows: Rows, workdir: Path, seed: int = 0, waves: bool = False) -> UnitReport:
    """Run ``rows`` on the RTL; compare each row's output beats with the bit-exact model and each
    free-flowing job's cycles with the cycle model."""
    got, rtl_cycles, seconds = run_rtl(case, rows, workdir, seed, waves)
    exp = case.expected(rows)
    bounds = np.concatenate([[0], np.cumsum(case.out_beats(rows))])
    bad = []
    for i in range(len(rows)):
        lo, hi = bounds[i], bounds[i + 1]
        if len(got[next(iter(got))]) < hi or any(not np.array_equal(got[k][lo:hi], exp[k][lo:hi]) for k in exp):
            bad.append(i)
    first = None
    if bad:
        i = bad[0]
        lo, hi = bounds[i], bounds[i + 1]
        first = (
            f"row {i} (n={rows.n[i]}): RTL { ({k: v[lo:hi].ravel()[:8].tolist() for k, v in got.items()}) }, "
            f"model { ({k: v[lo:hi].ravel()[:8].tolist() for k, v in exp.items()}) }"
        )
    model = case.cycles(rows)
    timed = rows.mode == 0
    return UnitReport(
        unit=case.name,
        params=case.params.model_dump(),
        vectors=len(rows),
        mismatches=len(bad),
        jobs=len(rows.mode),
        timed_jobs=int(timed.sum()),
        cycle_mismatches=int((rtl_cycles[timed] != model[timed]).sum()),
        rtl_cycles_mean=float(rtl_cycles[timed].mean()) if timed.any() else float("nan"),
        model_cycles_mean=float(model[timed].mean()) if timed.any() else float("nan"),
        first_mismatch=first,
        rtl_seconds=round(seconds, 2),
    )
