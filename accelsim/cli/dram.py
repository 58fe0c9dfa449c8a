"""``accelsim dram``: replay a DRAM request trace through the bank-aware model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from accelsim.errors import InputError

app = typer.Typer(help="Bank-aware DRAM model: replay request traces.", no_args_is_help=True)


@app.command()
def replay(
    trace: Annotated[Path, typer.Argument(help="DRAMsim3 ('0xADDR READ|WRITE CYCLE' lines) or Ramulator2 "
                                                 "('LD|ST 0xADDR' lines, cycle 0) trace.")],
    dram: Annotated[str, typer.Option(
        help="Preset name, DRAM YAML or DRAMsim3 .ini file.")] = "hbm2-spatten",
    issue: Annotated[str, typer.Option(
        help="in-order: one request per cycle in trace order (dramsim3main -t); "
             "per-channel: each channel's requests queue on their own.")] = "in-order",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Replay TRACE and print cycles (memory clock, until the last data returns), seconds,
    achieved GB/s, row-buffer hit rate and energy."""
    from accelsim.hw.dram import ISSUE_MODES, DramModel, load_dram, read_trace  # numba: on use only

    if issue not in ISSUE_MODES:
        raise InputError(None, "--issue", f"must be one of {', '.join(ISSUE_MODES)}, "
                         f"not {issue!r}")
    spec = load_dram(dram)
    reqs = read_trace(trace)
    model = DramModel(spec, issue=issue)
    model.simulate(reqs.addr, reqs.cycle, is_write=reqs.is_write)
    stats = model.stats()
    out = {"dram": spec.name, "issue": issue, **stats.to_dict()}
    if as_json:
        print(json.dumps(out))
        return
    print(f"{spec.name} ({spec.standard}), {issue} issue, {stats.requests} requests")
    print(f"  cycles        {stats.cycles} (tCK {spec.timing.tCK_ns} ns)")
    print(f"  seconds       {stats.seconds:.6g}")
    print(f"  bandwidth     {stats.gbps:.3f} GB/s of {spec.peak_gbs:.1f} GB/s peak")
    print(f"  row hits      {stats.row_hit_rate:.4f} ({stats.row_hits} hits, "
          f"{stats.row_misses} misses, {stats.row_conflicts} conflicts)")
    parts = ", ".join(f"{k} {v * 1e-12:.3g}" for k, v in stats.energy_pj.items())
    print(f"  energy        {stats.energy_j:.6g} J ({parts})")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="dram")
