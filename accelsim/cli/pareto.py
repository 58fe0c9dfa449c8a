"""``accelsim pareto``: the non-dominated points of a sweep's results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from accelsim.errors import InputError


def pareto(
    directory: Annotated[Path, typer.Argument(help="A sweep's results directory.")],
    objectives: Annotated[str | None, typer.Option(help="Comma-separated columns, each optionally :min or "
                                                   ":max, e.g. cycles,energy_j (default: the sweep's).")] = None,
) -> None:
    """Print the Pareto front of a sweep and write it to DIR/pareto.parquet and DIR/pareto.csv."""
    from accelsim.sweep import load_sweep, pareto_front, parse_objectives, read_results
    from accelsim.sweep.pareto import print_front, save_front
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
    print_front(front, directory, list(objs), swept, Console())


def register(app: typer.Typer) -> None:
    app.command("pareto")(pareto)
