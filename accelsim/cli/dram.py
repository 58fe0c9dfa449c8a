"""``accelsim dram``: replay a DRAM request trace through the bank-aware model."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from accelsim.cli._tables import Cell, Format, FormatOption, Sheet, emit, one_of
from accelsim.errors import InputError
from accelsim.gcpause import paused

app = typer.Typer(help="Bank-aware DRAM model: replay request traces.", no_args_is_help=True)


@app.command()
def replay(
    trace: Annotated[
        Path,
        typer.Argument(
            help="DRAMsim3 ('0xADDR READ|WRITE CYCLE' lines) or Ramulator2 ('LD|ST 0xADDR' lines, cycle 0) trace."
        ),
    ],
    dram: Annotated[str, typer.Option(help="Preset name, DRAM YAML or DRAMsim3 .ini file.")] = "hbm2-spatten",
    issue: Annotated[
        str,
        typer.Option(
            help="in-order: one request per cycle in trace order (dramsim3main -t); "
            "per-channel: each channel's requests queue on their own."
        ),
    ] = "in-order",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Replay TRACE and print cycles (memory clock, until the last data returns), seconds,
    achieved GB/s, row-buffer hit rate and energy."""
    # numba and its registries (on use only) build 100,000 objects that live as long as the process: no
    # cyclic garbage collection while they do (250 passes over them, 0.1 s), and frozen afterwards, so
    # that the collections at exit pass them over too (0.17 s)
    # no linear algebra in a replay: no OpenBLAS thread pool either, whose threads spin as numpy loads (0.12 s
    # of CPU on 2 cores; docs/dram.md "Speed against DRAMsim3"); a no-op where numpy is already loaded
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    with paused(settle=True):
        import numpy as np

        from accelsim.hw.dram import ISSUE_MODES, DramModel, load_dram, numba_target, read_dram_trace

        numba_target.load()
    one_of(as_json, fmt)
    if issue not in ISSUE_MODES:
        raise InputError(None, "--issue", f"must be one of {', '.join(ISSUE_MODES)}, not {issue!r}")
    spec = load_dram(dram)
    # 4 KiB pages for the replay's arrays (200 MB for 3 M requests): on the shared 2-core VM the first
    # touch of 144 MB in numpy's transparent huge pages cost 0.02-1.6 s of system time (median 0.14 s)
    # where 4 KiB pages cost 0.05 s (docs/dram.md "Speed against DRAMsim3")
    multiarray = np._core.multiarray if hasattr(np, "_core") else np.core.multiarray  # numpy 2 / 1.26
    multiarray._set_madvise_hugepage(False)
    reqs = read_dram_trace(trace)
    model = DramModel(spec, issue=issue)
    model.simulate(reqs.addr, reqs.cycle, is_write=reqs.is_write)
    stats = model.stats()
    out = {"dram": spec.name, "issue": issue, **stats.to_dict()}
    if as_json:
        print(json.dumps(out))
        return
    t = Sheet(
        "replay",
        f"{spec.name} ({spec.standard}), {issue} issue, {stats.requests} requests",
        ["metric", "value", "unit"],
        show_header=False,
        hidden=["unit"],
    )
    t.add("cycles", Cell(stats.cycles, f"{stats.cycles:,} (tCK {spec.timing.tCK_ns} ns)"), "memory cycles")
    t.add("seconds", Cell(stats.seconds, f"{stats.seconds:.6g} s"), "s")
    t.add("bandwidth", Cell(stats.gbps, f"{stats.gbps:.3f} GB/s of {spec.peak_gbs:.1f} GB/s peak"), "GB/s")
    t.add("peak bandwidth", Cell(spec.peak_gbs, f"{spec.peak_gbs:.1f} GB/s"), "GB/s")
    t.add("row hit rate", Cell(stats.row_hit_rate, f"{stats.row_hit_rate:.4f}"), "")
    t.add("row hits", stats.row_hits, "")
    t.add("row misses", stats.row_misses, "")
    t.add("row conflicts", stats.row_conflicts, "")
    t.add("energy", Cell(stats.energy_j, f"{stats.energy_j:.6g} J"), "J")
    for k, v in stats.energy_pj.items():
        t.add(f"energy: {k}", Cell(v * 1e-12, f"{v * 1e-12:.6g} J"), "J")
    emit(t, fmt)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="dram")
