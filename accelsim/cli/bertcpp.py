"""``accelsim bertcpp``: run the SpAtten authors' behaviour model (bert.cpp) on its own input.csv."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from accelsim.cli._tables import Format, FormatOption, Sheet, emit, one_of
from accelsim.errors import InputError


def bertcpp(
    profiles: Annotated[Path, typer.Argument(help="bert.cpp input.csv (one row per head of a layer).")],
    hw: Annotated[str, typer.Option("--hw", help="Hardware preset name or YAML file.")] = "spatten",
    sets: Annotated[list[str] | None, typer.Option(
        "--set", help="Hardware override, e.g. hw.dram.channels=2 (bert.cpp's channels, multipliers and "
        "sizeZE are hw.dram.channels, hw.qk.multipliers and hw.topk.parallelism).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Cycles of each layer of PROFILES as bert.cpp counts them (DRAM + fill + drain + top-k)."""
    from accelsim.cli.run import parse_sets
    from accelsim.config import load_hardware
    from accelsim.sim.behavioural import BREAKDOWN, BehaviouralParams, layer_breakdown
    from accelsim.sim.bertcpp_profiles import read_input_csv
    from accelsim.units import stages

    one_of(as_json, fmt)
    hw_over, pol_over = parse_sets(sets or [])
    if pol_over:
        raise InputError(None, "--set", "bertcpp takes hardware overrides (hw.PATH=VALUE) only")
    design = load_hardware(hw, hw_over)
    params, units = BehaviouralParams.from_hardware(design), stages(design)
    layers = layer_breakdown(read_input_csv(profiles), params, units)
    if as_json:
        print(json.dumps({"params": vars(params), "cycles": int(layers["cycles"].sum()),
                          "layers": layers.to_dict(orient="records")}))
        return
    cols = ["layer_id", *BREAKDOWN, *(u.name for u, _ in units), "cycles"]
    t = Sheet("layers", f"{profiles.name}: channels {params.channels}, multipliers {params.multipliers} x 2, "
              f"sizeZE {params.size_ze}", cols)
    t.rows = [[int(getattr(row, c)) for c in cols] for row in layers.itertuples(index=False)]
    t.add("SUM", *(int(layers[c].sum()) for c in cols[1:]))
    emit(t, fmt)


def register(app: typer.Typer) -> None:
    app.command("bertcpp")(bertcpp)
