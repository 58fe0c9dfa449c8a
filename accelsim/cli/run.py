"""``accelsim run``: one workload, one policy, one hardware config."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from accelsim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


class Timing(StrEnum):
    event = "event"
    spatten_behavioural = "spatten-behavioural"


class DramTraceFormat(StrEnum):
    dramsim3 = "dramsim3"
    ramulator2 = "ramulator2"


def parse_sets(sets: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``hw.a.b=V`` / ``policy.a=V`` options into nested override dicts (values parsed as YAML)."""
    import yaml

    from accelsim.facade import split_overrides
    from accelsim.inputs import BoundedLoader

    flat: dict[str, Any] = {}
    for item in sets:
        key, sep, raw = item.partition("=")
        root, _, path = key.partition(".")
        if not sep or root not in ("hw", "policy") or not path:
            raise InputError(None, "--set", f"expected hw.PATH=VALUE or policy.PATH=VALUE, got {item!r}")
        try:
            flat[key] = yaml.load(raw, Loader=BoundedLoader)
        except yaml.YAMLError:
            raise InputError(None, "--set", f"value of {key} is not valid YAML: {raw!r}") from None
    return split_overrides(flat, "--set")


def render(result, console: Console) -> None:
    """A rich summary of a SimResult."""
    t = Table(title=f"{result.workload}  on  {result.hardware}  ({result.policy})", show_header=False)
    t.add_column("metric", style="bold")
    t.add_column("value", justify="right")
    t.add_row("cycles", f"{result.cycles:,.0f}")
    t.add_row("time", f"{result.seconds * 1e3:.3f} ms")
    t.add_row("throughput", f"{result.gops:,.1f} GOP/s")
    t.add_row("DRAM traffic", f"{result.dram_bytes / 1e6:,.2f} MB  ("
              + ", ".join(f"{k} {v / 1e6:.2f}" for k, v in result.dram_bytes_by.items()) + ")")
    t.add_row("DRAM-bandwidth bound", f"{result.bandwidth_bound_cycles:,.0f} cycles")
    t.add_row("energy", f"{result.energy_j * 1e3:.3f} mJ  ({result.power_w:.2f} W)")
    t.add_row("area", f"{result.area_mm2:.2f} mm²")
    t.add_row("requests / top-k jobs", f"{result.requests:,} / {result.topk_jobs:,}")
    if result.quality is not None:
        t.add_row("attention-mass recall", f"{result.quality.mass_recall:.4f}")
        t.add_row("relative output error", f"{result.quality.out_err:.4f}")
        if result.quality.topk_recall is not None:
            t.add_row("top-k recall", f"{result.quality.topk_recall:.4f}")
    console.print(t)
    e = Table(title="energy by component")
    e.add_column("component")
    e.add_column("mJ", justify="right")
    e.add_column("share", justify="right")
    for k, v in sorted(result.energy_by.items(), key=lambda kv: -kv[1]):
        e.add_row(k, f"{v * 1e3:.4f}", f"{v / result.energy_j:.1%}" if result.energy_j else "-")
    console.print(e)
    if result.quality is not None:
        q = Table(title="quality by layer")
        for c in ("layer", "mass recall", "output error"):
            q.add_column(c, justify="right")
        for lq in result.quality.per_layer:
            q.add_row(str(lq.layer), f"{lq.mass_recall:.4f}", f"{lq.out_err:.4f}")
        console.print(q)


def render_breakdown(layers: pd.DataFrame, console: Console) -> None:
    """Cycles of the behavioural timing by component, summed over layers."""
    from accelsim.sim.behavioural import BREAKDOWN

    t = Table(title=f"spatten-behavioural cycles by component ({len(layers)} layers, added serially)")
    t.add_column("component")
    t.add_column("cycles", justify="right")
    t.add_column("share", justify="right")
    total = float(layers["cycles"].sum())
    for c in BREAKDOWN:
        v = float(layers[c].sum())
        t.add_row(c, f"{v:,.0f}", f"{v / total:.1%}" if total else "-")
    console.print(t)


def run(
    workload: Annotated[Path, typer.Option("--workload", "-w", help="Trace (.safetensors) or SpAtten CSV.")],
    hw: Annotated[str, typer.Option("--hw", help="Hardware preset name or YAML file.")] = "spatten",
    policy: Annotated[str, typer.Option("--policy", help="Policy preset name or YAML file.")] = "spatten",
    phases: Annotated[str, typer.Option(help="prefill, decode or both (traces only).")] = "both",
    sets: Annotated[list[str] | None, typer.Option("--set", help="Override, e.g. hw.qk.multipliers=256.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the JSON result here.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for pivots of request-trace top-k jobs.")] = 0,
    timing: Annotated[Timing, typer.Option(
        help="Timing model: the event engine, or the SpAtten authors' behaviour model (bert.cpp: DRAM, "
        "pipeline fill, drain and top-k added serially; docs/behavioural.md).")] = Timing.event,
    dram_trace: Annotated[Path | None, typer.Option(help="Write the DRAM reads the run issued here.")] = None,
    dram_trace_format: Annotated[
        DramTraceFormat, typer.Option(help="Format of --dram-trace.")
    ] = DramTraceFormat.dramsim3,
    bertcpp_input: Annotated[Path | None, typer.Option(
        help="Also write the plan as the input.csv of the SpAtten authors' bert.cpp.")] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Write an HTML report here, and its data (results table, requests, DRAM "
        "transfers) as Parquet in a directory beside it with suffix .data.")] = None,
) -> None:
    """Simulate WORKLOAD under a policy on a hardware config."""
    from accelsim.facade import execute, write_run_report
    from accelsim.outputs import check_output, write_text

    for path, flag in ((output, "--output"), (dram_trace, "--dram-trace"), (bertcpp_input, "--bertcpp-input"),
                       (report, "--report")):
        if path is not None:  # before any work: a bad output path fails the run at once
            check_output(path, "file", flag)
    if report is not None:
        check_output(report.with_suffix(".data"), "dir", "--report")
    hw_over, pol_over = parse_sets(sets or [])
    trace = None if dram_trace is None else (dram_trace, str(dram_trace_format.value))
    result, record = execute(workload, hw, policy, hw_over, pol_over, timing=str(timing.value), phases=phases,
                             seed=seed, dram_trace=trace)
    if bertcpp_input is not None:
        from accelsim.sim.bertcpp_profiles import profiles_from_plan, write_input_csv

        write_input_csv(profiles_from_plan(record.plan), bertcpp_input)
    text = result.model_dump_json(indent=2)
    if record.layers is not None:
        text = json.dumps({**json.loads(text), "timing": str(timing.value), "breakdown": {
            "total": result.busy_by, "layers": record.layers.to_dict(orient="records")}}, indent=2)
    if output is not None:
        write_text(output, text + "\n", "--output")
    if report is not None:
        write_run_report(report, result, record)
    if as_json:
        print(json.dumps(json.loads(text)))
    else:
        render(result, Console())
        if record.layers is not None:
            render_breakdown(record.layers, Console())
        if report is not None:
            print(f"report written to {report}")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
