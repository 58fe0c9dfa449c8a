"""``accelsim report``: the HTML report of a results directory (a sweep's, or a run's)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report(
    results: Annotated[Path, typer.Argument(help="Results directory (Parquet parts) or one .parquet table.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path("report.html"),
    title: Annotated[str | None, typer.Option(help="Page title (default: from the results).")] = None,
    objectives: Annotated[
        str | None,
        typer.Option(
            help="The front the figures mark, as accelsim pareto's: "
            "cycles:min,quality_mass_recall:max (default: the sweep's "
            "objectives, else cycles,energy_j)."
        ),
    ] = None,
    x: Annotated[
        str | None,
        typer.Option(
            "--x",
            help="Column on the front plot's x axis (default: the first "
            "objective; 3+ objectives without --x/--y: a scatter matrix).",
        ),
    ] = None,
    y: Annotated[
        str | None, typer.Option("--y", help="Column on the front plot's y axis (default: the second objective).")
    ] = None,
    color: Annotated[
        str | None,
        typer.Option(
            "--color",
            help="Column the scatter plots and parallel coordinates "
            "colour by (default: quality_mass_recall when known, else "
            "area_mm2).",
        ),
    ] = None,
) -> None:
    """Write a self-contained HTML report (Plotly figures, no network needed to view it)."""
    from accelsim.report import load_results, write_report
    from accelsim.report.view import view_for

    res = load_results(results)
    view = view_for(res, objectives, x, y, color)
    names = write_report(res, output, title, view)
    print(f"report written to {output} ({len(names)} figures: {', '.join(names)})")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
