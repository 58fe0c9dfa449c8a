"""``accelsim sweep``: run a sweep file into a results directory, with a progress bar and a summary."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from accelsim.errors import InputError

REFRESH_S = 0.1  # progress bar redraws at most 10 times a second


class RateColumn(ProgressColumn):
    """Points per second over rich's recent-speed window."""

    def render(self, task) -> Text:
        return Text(f"{task.speed or 0:,.0f} points/s", style="progress.data.speed")


def sweep(
    file: Annotated[Path, typer.Argument(help="Sweep YAML (see sweeps/).")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Results directory "
                                                "(default: results/<sweep name>).")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Local worker processes "
                                             "(default: all cores).")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Run on an existing Dask cluster, tls://HOST:PORT "
                                           "(certificates from Dask's config) or tcp://HOST:PORT (anyone who reaches "
                                           "it runs code: see the README).")] = None,
    dask_workers: Annotated[int | None, typer.Option(min=1, help="Run on a new Dask LocalCluster of N "
                                                     "workers.")] = None,
    resume: Annotated[bool, typer.Option(help="Add to a directory that holds another sweep's results "
                                         "(finished points are always skipped).")] = False,
    report: Annotated[Path | None, typer.Option(help="Write an HTML report of the results here.")] = None,
    flush_rows: Annotated[int, typer.Option(min=1, help="Write finished rows to disk at least every N rows "
                                            "(and every 2 s): fewer lose less work to a crash, more write "
                                            "fewer files.")] = 512,
) -> None:
    """Run a design-space sweep; finished points in the output directory are skipped."""
    from accelsim.sweep import get_executor, load_sweep, run_sweep
    from accelsim.sweep.evaluate import column_name
    from accelsim.sweep.pareto import print_front
    from accelsim.sweep.points import Resolver

    if scheduler and dask_workers:
        raise InputError(None, "--scheduler", "give either --scheduler or --dask-workers, not both")
    from accelsim.outputs import check_output

    spec = load_sweep(file)  # bad input fails before any worker starts
    Resolver(spec, file).check()
    check_output(output or Path("results") / spec.name, "dir", "--output")
    if report is not None:
        check_output(report, "file", "--report")
    err = Console(stderr=True)
    if scheduler or dask_workers:
        ex = get_executor("dask", scheduler=scheduler, workers=dask_workers)
    else:
        ex = get_executor("local", jobs=jobs)
    # no refresh thread (auto_refresh off): local workers fork from this process
    bar = Progress(TextColumn(f"[bold]{spec.name}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
                   TextColumn("eta"), TimeRemainingColumn(), console=err, auto_refresh=False)
    task = bar.add_task("points", total=None)
    shown = [0.0]

    def progress(n: int, total: int) -> None:
        bar.start()  # on the first report, so that errors before any work print alone
        bar.update(task, completed=n, total=total)
        if time.monotonic() - shown[0] >= REFRESH_S or n == total:
            bar.refresh()
            shown[0] = time.monotonic()

    with ex:
        try:
            outcome = run_sweep(file, output, executor=ex, resume=resume, progress=progress, flush_rows=flush_rows)
        finally:
            if bar.live.is_started:  # a sweep that fails before its first point prints its error alone
                bar.stop()
    console = Console()
    t = outcome.table
    infeasible = int((t["status"] != "ok").sum()) if len(t) else 0
    console.print(f"[bold]{spec.name}[/]: {outcome.points} points ({outcome.ran} run, {outcome.skipped} already "
                  f"done, {infeasible} infeasible) in {outcome.seconds:.1f} s "
                  f"({outcome.rate:,.0f} points/s, {spec.timing} timing, {ex.name} executor, {ex.workers} workers)")
    swept = [column_name(a) for g in spec.groups() for a in g]
    print_front(outcome.front, outcome.out, list(spec.objectives), swept, console)
    console.print(f"results: {outcome.out / 'results'} (Parquet, one row per point)")
    if report is not None:
        from accelsim.report.html import write_report
        from accelsim.report.results import load_results

        write_report(load_results(outcome.out), report)
        console.print(f"report: {report}")


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)
