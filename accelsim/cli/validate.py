"""``accelsim validate``: run the reference cases and compare with the SpAtten paper."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from accelsim.cli._tables import Cell, Format, FormatOption, Sheet, emit, note, one_of

STYLE = {"pass": "green", "fail": "red", "info": "dim"}


def validate(
    fast: Annotated[bool, typer.Option("--fast", help="Only the quick cases (those CI runs).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
    report: Annotated[Path | None, typer.Option(help="Also write an HTML report here.")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Also write the table as markdown here.")] = None,
    strict: Annotated[bool, typer.Option(help="Exit with status 1 when a row fails its tolerance.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Print quantity, the paper's value, accelsim's value, their ratio and pass/fail per row."""
    import pandas as pd

    one_of(as_json, fmt)
    from accelsim.outputs import check_output, write_text
    from accelsim.validation import CASES, Runs, run_cases, to_markdown

    for path, flag in ((report, "--report"), (markdown, "--markdown")):
        if path is not None:  # before the cases run
            check_output(path, "file", flag)
    err = Console(stderr=True)
    with err.status("validating") as status:
        rows = run_cases(CASES, Runs(), fast_only=fast, progress=lambda name: status.update(f"validating: {name}"))
    table = pd.DataFrame([r.to_dict() for r in rows])
    if markdown is not None:
        write_text(markdown, to_markdown(rows), "--markdown")
    if report is not None:
        from accelsim.report.validation import write_validation_report

        write_validation_report(table, report)
    if as_json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
    else:
        _print(rows, fmt)
    if report is not None:
        err.print(f"report: {report}")
    if strict and any(r.status == "fail" for r in rows):
        raise typer.Exit(1)


def _print(rows: list, fmt: Format) -> None:
    t = Sheet("validation", "accelsim vs the SpAtten paper (HPCA'21)",
              ["quantity", "unit", "paper", "accelsim", "ratio", "tol", "status"],
              formats={"paper": ".4g", "accelsim": ".4g", "ratio": ".3f"},
              styles={"status": STYLE.__getitem__})
    for r in rows:
        tol = None if r.tolerance is None else Cell(r.tolerance, f"±{r.tolerance:.0%}")
        t.add(r.quantity, r.unit, r.paper, r.accelsim, r.ratio, tol, r.status)
    emit(t, fmt)
    passed = sum(r.status == "pass" for r in rows)
    compared = sum(r.status != "info" for r in rows)
    note(f"{passed} of {compared} compared rows within tolerance; each row's method and the cause "
         "of each gap: --markdown FILE or --json", fmt)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
