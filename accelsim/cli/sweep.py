"""``accelsim sweep``: run a sweep file into a results directory, with a progress bar and a summary."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from accelsim.cli._tables import Format, FormatOption, Sheet, emit, note
from accelsim.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from accelsim.sweep.points import Resolver
    from accelsim.sweep.spec import Sweep

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
                                            "fewer files.")] = 8192,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the whole sweep and print its axes and "
                                          "number of points; run nothing.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Run a design-space sweep; finished points in the output directory are skipped."""
    from accelsim.sweep import get_executor, load_sweep, run_sweep
    from accelsim.sweep.evaluate import column_name
    from accelsim.sweep.pareto import FRONT
    from accelsim.sweep.points import Resolver

    if scheduler and dask_workers:
        raise InputError(None, "--scheduler", "give either --scheduler or --dask-workers, not both")
    from accelsim.outputs import check_output

    spec = load_sweep(file)  # bad input fails before any worker starts
    resolver = Resolver(spec, file)
    resolver.check()
    if dry_run:
        _dry_run(spec, resolver, fmt)
        return
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
    t = outcome.table
    infeasible = int((t["status"] != "ok").sum()) if len(t) else 0
    note(f"[bold]{spec.name}[/]: {outcome.points} points ({outcome.ran} run, {outcome.skipped} already "
         f"done, {infeasible} infeasible) in {outcome.seconds:.1f} s "
         f"({outcome.rate:,.0f} points/s, {spec.timing} timing, {ex.name} executor, {ex.workers} workers)", fmt)
    if outcome.asked > outcome.points:
        repeated = outcome.asked - outcome.points
        note(f"{outcome.asked} trials, {outcome.points} distinct points: {repeated} repeated a point already run"
             if spec.search.method == "nsga2" else
             f"{outcome.asked} axis settings, {outcome.points} distinct points: {repeated} resolved to a "
             "configuration already listed (run once)", fmt)
    swept = [column_name(a) for g in spec.groups() for a in g]
    emit(front_sheet(outcome.front, spec.objectives, swept), fmt)
    note(f"front: {outcome.out / f'{FRONT}.parquet'}", fmt)
    note(f"results: {outcome.out / 'results'} (Parquet, one row per point)", fmt)
    if report is not None:
        from accelsim.report.html import write_report
        from accelsim.report.results import load_results

        write_report(load_results(outcome.out), report)
        note(f"report: {report}", fmt)


def front_sheet(front: pd.DataFrame, objectives: Mapping[str, str], swept: list[str]) -> Sheet:
    """A Pareto front's rows: hardware, policy, the swept columns and the objectives (column -> min or max)."""
    cols = list(dict.fromkeys(c for c in ["hardware", "policy", *swept, *objectives] if c in front.columns))
    senses = ", ".join(f"{o} {s}" for o, s in objectives.items())
    t = Sheet("pareto", f"Pareto front ({senses}): {len(front)} points", cols)
    t.rows = [list(r) for r in front[cols].itertuples(index=False)]
    return t


def _dry_run(spec: Sweep, resolver: Resolver, fmt: Format) -> None:
    """Print the axes and how many points the sweep holds, after validating every listed point."""
    from accelsim.sweep.points import grid_size, resolve_listed
    from accelsim.sweep.spec import sweep_fields

    groups = spec.groups()
    where = sweep_fields(spec)
    t = Sheet("axes", f"{spec.name}: axes", ["axis", "set in", "count", "values"])
    for g in groups:
        for k, v in g.items():
            t.add(k, where[k], len(v), ", ".join(map(str, v)))
    points = resolve_listed(spec, resolver)  # errors before any output
    emit(t, fmt)
    n = grid_size(groups)
    s = spec.search
    if points is None:
        note(f"nsga2: {s.trials} trials over a grid of {n} points (population {s.population}, seed {s.seed}); "
             "each axis value is checked, each point's own rules when a trial picks it", fmt)
        return
    distinct = {p.point_id for p in points}
    invalid = sum(bool(p.error) for p in points)
    pick = f"grid of {n} points" if s.method == "grid" else \
        f"random: {len(points)} of a grid of {n} points (seed {s.seed})"
    note(f"{pick}: {len(distinct)} distinct configurations, {invalid} of the points break a config rule "
         f"(infeasible rows), {spec.timing} timing; nothing run", fmt)


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)
