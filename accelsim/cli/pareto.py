"""``accelsim pareto``: the non-dominated points of a sweep's results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accelsim.cli._tables import Format, FormatOption, emit, note
from accelsim.errors import InputError


def pareto(
    directory: Annotated[Path, typer.Argument(help="A sweep's results directory.")],
    objectives: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated columns, each optionally :min or :max, "
            "e.g. cycles:min,quality_mass_recall:max; a bare name takes its "
            "default (max for gops, dram_row_hit_rate and recall, else "
            "min). Default: the sweep's objectives."
        ),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Print the Pareto front of a sweep and write it as Parquet and CSV in DIR.

    The front of the sweep's own objectives (its sweep.yaml) is DIR/pareto.parquet (and .csv), the file
    the sweep wrote; any other objectives go to a file named by them, e.g.
    DIR/pareto_cycles-min_quality_mass_recall-max.parquet, so the sweep's front is never overwritten.
    """
    from accelsim.cli.sweep import front_sheet
    from accelsim.sweep import pareto_front, parse_objectives, read_results
    from accelsim.sweep.pareto import front_stem, save_front
    from accelsim.sweep.runner import recorded_objectives

    table = read_results(directory)
    if table.empty:
        raise InputError(str(directory), None, "no sweep results here (expected results/part-*.parquet)")
    own = recorded_objectives(directory)
    if objectives is not None:
        objs = parse_objectives(objectives)
    elif own is not None:
        objs = own
    else:
        raise InputError(str(directory), None, "no sweep.yaml here to take objectives from; pass --objectives")
    front = pareto_front(table, objs)
    swept = [c for c in table.columns if c.startswith(("hw.", "policy.")) or c.endswith("_ref")]
    path = save_front(front, directory, front_stem(objs, own))
    emit(front_sheet(front, objs, swept), fmt)
    note(f"front: {path}", fmt)


def register(app: typer.Typer) -> None:
    app.command("pareto")(pareto)
