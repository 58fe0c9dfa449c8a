"""``accelsim run``: one workload, one policy, one hardware config."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from accelsim.cli._tables import Cell, Format, FormatOption, Sheet, emit, note, one_of
from accelsim.cli.presets import completer
from accelsim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


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


def sheets(result) -> list[Sheet]:
    """The tables of a SimResult: summary, energy by component and, with quality proxies, per layer."""
    t = Sheet("summary", f"{result.workload}  on  {result.hardware}  ({result.policy})",
              ["metric", "value", "unit"], show_header=False, hidden=["unit"])
    by = ", ".join(f"{k} {v / 1e6:.2f}" for k, v in result.dram_bytes_by.items())
    t.add("cycles", Cell(result.cycles, f"{result.cycles:,.0f}"), "cycles")
    t.add("time", Cell(result.seconds, f"{result.seconds * 1e3:.3f} ms"), "s")
    t.add("throughput", Cell(result.gops, f"{result.gops:,.1f} GOP/s"), "GOP/s")
    t.add("DRAM traffic", Cell(result.dram_bytes, f"{result.dram_bytes / 1e6:,.2f} MB  ({by})"), "B")
    t.add("DRAM-bandwidth bound", Cell(result.bandwidth_bound_cycles, f"{result.bandwidth_bound_cycles:,.0f} cycles"),
          "cycles")
    t.add("energy", Cell(result.energy_j, f"{result.energy_j * 1e3:.3f} mJ  ({result.power_w:.2f} W)"), "J")
    t.add("area", Cell(result.area_mm2, f"{result.area_mm2:.2f} mm²"), "mm²")
    t.add("requests", result.requests, "")
    t.add("top-k jobs", result.topk_jobs, "")
    if result.quality is not None:
        t.add("attention-mass recall", Cell(result.quality.mass_recall, f"{result.quality.mass_recall:.4f}"), "")
        t.add("relative output error", Cell(result.quality.out_err, f"{result.quality.out_err:.4f}"), "")
        if result.quality.topk_recall is not None:
            t.add("top-k recall", Cell(result.quality.topk_recall, f"{result.quality.topk_recall:.4f}"), "")
    e = Sheet("energy_by_component", "energy by component", ["component", "energy_j", "share"],
              formats={"share": ".1%"})
    for k, v in sorted(result.energy_by.items(), key=lambda kv: -kv[1]):
        e.add(k, Cell(v, f"{v * 1e3:.4f} mJ"), v / result.energy_j if result.energy_j else None)
    out = [t, e]
    if result.quality is not None:
        q = Sheet("quality_by_layer", "quality by layer", ["layer", "mass_recall", "out_err"],
                  formats={"mass_recall": ".4f", "out_err": ".4f"})
        for lq in result.quality.per_layer:
            q.add(lq.layer, lq.mass_recall, lq.out_err)
        out.append(q)
    return out


def breakdown_sheet(layers: pd.DataFrame) -> Sheet:
    """Cycles of the behavioural timing by component (plug-in units included), summed over layers."""
    from accelsim.sim.behavioural import BREAKDOWN
    from accelsim.units.base import LAYER_COLUMNS

    t = Sheet("breakdown", f"spatten-behavioural cycles by component ({len(layers)} layers, added serially)",
              ["component", "cycles", "share"], formats={"share": ".1%"})
    total = float(layers["cycles"].sum())
    for c in [*BREAKDOWN, *(c for c in layers.columns if c not in LAYER_COLUMNS)]:
        v = int(layers[c].sum())
        t.add(c, v, v / total if total else None)
    return t


def run(
    workload: Annotated[Path, typer.Option("--workload", "-w", help="Trace (.safetensors) or SpAtten CSV.")],
    hw: Annotated[str, typer.Option("--hw", help="Hardware preset name or YAML file.",
                                    autocompletion=completer("hw"))] = "spatten",
    policy: Annotated[str, typer.Option("--policy", help="Policy preset name or YAML file.",
                                        autocompletion=completer("policy"))] = "spatten",
    phases: Annotated[str, typer.Option(help="prefill, decode or both (traces only).")] = "both",
    sets: Annotated[list[str] | None, typer.Option("--set", help="Override, e.g. hw.qk.multipliers=256.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    fmt: FormatOption = Format.table,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the JSON result here.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for pivots of request-trace top-k jobs.")] = 0,
    timing: Annotated[str, typer.Option(
        help="Timing model (accelsim.timers): event (the event engine), fast (its one-pass recurrence, "
        "bandwidth DRAM model), spatten-behavioural (the SpAtten authors' behaviour model, bert.cpp: DRAM, "
        "pipeline fill, drain and top-k added serially; docs/behavioural.md), or a plug-in's.")] = "event",
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
    from accelsim.gcpause import paused
    from accelsim.outputs import check_output, write_text

    one_of(as_json, fmt)
    for path, flag in ((output, "--output"), (dram_trace, "--dram-trace"), (bertcpp_input, "--bertcpp-input"),
                       (report, "--report")):
        if path is not None:  # before any work: a bad output path fails the run at once
            check_output(path, "file", flag)
    if report is not None:
        check_output(report.with_suffix(".data"), "dir", "--report")
    hw_over, pol_over = parse_sets(sets or [])
    trace = None if dram_trace is None else (dram_trace, str(dram_trace_format.value))
    # imports, configs and plan build ~10^5 objects that last until the process ends, which follows: no
    # cyclic collection walks them while they are built, nor after (the one at exit included); a run leaves
    # ~100 objects of cyclic garbage, which stay
    with paused(settle=True):
        result, record = execute(workload, hw, policy, hw_over, pol_over, timing=timing, phases=phases,
                                 seed=seed, dram_trace=trace)
    if bertcpp_input is not None:
        from accelsim.sim.bertcpp_profiles import profiles_from_plan, write_input_csv

        write_input_csv(profiles_from_plan(record.plan), bertcpp_input)
    text = result.model_dump_json(indent=2)
    if record.layers is not None:
        text = json.dumps({**json.loads(text), "timing": timing, "breakdown": {
            "total": result.busy_by, "layers": record.layers.to_dict(orient="records")}}, indent=2)
    if output is not None:
        write_text(output, text + "\n", "--output")
    if report is not None:
        write_run_report(report, result, record)
    if as_json:
        print(json.dumps(json.loads(text)))
    else:
        emit([*sheets(result), *([breakdown_sheet(record.layers)] if record.layers is not None else [])], fmt)
        if report is not None:
            note(f"report written to {report}", fmt)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
