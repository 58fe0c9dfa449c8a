"""``accelsim pareto``: the non-dominated points of a sweep's results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accelsim.cli._tables import Format, FormatOption, emit, note
from accelsim.errors import InputError


def pareto(
    directory: Annotated[Path, typer.Argument(help="A sweep's results directory.")],
    objectives: Annotated[str | None, typer.Option(help="Comma-separated columns, each optionally :min or "
                                                   ":max, e.g. cycles,energy_j (default: the sweep's).")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Print the Pareto front of a sweep and write it to DIR/pareto.parquet and DIR/pareto.csv."""
    from accelsim.cli.sweep import front_sheet
    from accelsim.sweep import load_sweep, pareto_front, parse_objectives, read_results
    from accelsim.sweep.pareto import save_front
    from accelsim.sweep.runner import SPEC_FILE

    table = read_results(directory)
    if table.empty:
        raise InputError(str(directory), None, "no sweep results here (expected results/part-*.parquet)")
    spec = directory / SPEC_FILE
    sweep = load_sweep(spec) if spec.exists() and objectives is None else None
    if objectives is not None:
        objs = parse_objectives(objectives)
    elif sweep is not None:
        objs = dict(sweep.objectives)
    else:
        raise InputError(str(directory), None, "no sweep.yaml here to take objectives from; pass --objectives")
    front = pareto_front(table, objs)
    swept = [c for c in table.columns if c.startswith(("hw.", "policy.")) or c.endswith("_ref")]
    save_front(front, directory)
    emit(front_sheet(front, list(objs), swept), fmt)
    note(f"front: {directory / 'pareto.parquet'}", fmt)


def register(app: typer.Typer) -> None:
    app.command("pareto")(pareto)
