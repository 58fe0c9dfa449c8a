"""``accelsim report``: the HTML report of a results directory (a sweep's, or a run's)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report(
    results: Annotated[Path, typer.Argument(help="Results directory (Parquet parts) or one .parquet table.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path("report.html"),
    title: Annotated[str | None, typer.Option(help="Page title (default: from the results).")] = None,
) -> None:
    """Write a self-contained HTML report (Plotly figures, no network needed to view it)."""
    from accelsim.report import load_results, write_report

    names = write_report(load_results(results), output, title)
    print(f"report written to {output} ({len(names)} figures: {', '.join(names)})")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
