"""The sweep driver: expand or search, skip finished points, run the rest, store, Pareto."""

from __future__ import annotations

import math
import pickle
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from accelsim.errors import InputError
from accelsim.gcpause import frozen
from accelsim.inputs import read_text
from accelsim.outputs import check_output, write_text
from accelsim.rows import Rows
from accelsim.sim.fast import warm
from accelsim.sweep.evaluate import Job, infeasible_row, plan_for, run_job, run_pickled, warm_job
from accelsim.sweep.executors import Executor, get_executor
from accelsim.sweep.pareto import pareto_front, save_front
from accelsim.sweep.points import Point, Resolver, chunks, resolve_listed
from accelsim.sweep.spec import Sweep, load_sweep, parse_sweep
from accelsim.sweep.store import FLUSH_ROWS, ResultStore

FAST_CHUNK = 256  # points per task on the fast path (~0.2 ms each, tasks of ~50 ms: fewer wakeups and pickles a point)
EVENT_CHUNK = 1  # points per task on the event engine (~1 s each on the GPT-2 CSV)
SPEC_FILE = "sweep.yaml"
SPEC_SOURCE = "sweep spec"
"""What errors in a sweep given as a dict name as its source."""

Progress = Callable[[int, int], None]
"""Called with (points finished, points in the sweep) as work completes."""


@dataclass
class SweepOutcome:
    """What a sweep did and where its table is."""

    out: Path
    points: int
    ran: int
    skipped: int
    seconds: float
    table: pd.DataFrame
    front: pd.DataFrame
    asked: int = 0
    """Points the search asked for (grid points, random samples, nsga2 trials); more than ``points``
    when some resolve to a configuration already asked for, which runs once."""

    @property
    def rate(self) -> float:
        return self.ran / self.seconds if self.seconds else 0.0


def recorded_sweep(directory: str | Path) -> Sweep | None:
    """The sweep recorded in ``directory`` (its ``sweep.yaml``), or None if it has none."""
    spec = Path(directory) / SPEC_FILE
    return load_sweep(spec) if spec.is_file() else None


def recorded_objectives(directory: str | Path) -> dict[str, str] | None:
    """The objectives of the sweep recorded in ``directory``, or None if it has none."""
    sweep = recorded_sweep(directory)
    return None if sweep is None else dict(sweep.objectives)


def _prepare(text: str, out: Path, resume: bool) -> None:
    """Record the sweep file's ``text`` in ``out``; a different sweep already there needs ``--resume``."""
    check_output(out, "dir", "--output")
    spec = out / SPEC_FILE
    if spec.exists() and read_text(spec) != text and not resume:
        raise InputError(str(out), None, f"holds the results of another sweep ({spec}); pass --resume to "
                         "add this sweep's points to it, or choose another output directory with -o")
    write_text(spec, text, "--output")


def run_sweep(spec: str | Path | dict[str, Any], out: str | Path | None = None, *,
              executor: Executor | None = None, resume: bool = False, progress: Progress | None = None,
              flush_rows: int = FLUSH_ROWS) -> SweepOutcome:
    """Run the sweep in the file ``spec`` into ``out`` (default ``results/<name>``), skipping stored
    points, and write its Pareto front there; finished rows are written at least every ``flush_rows``
    rows (and every ``FLUSH_SECONDS``).

    ``spec`` may also be a sweep file's content as a dict; its relative paths start from the working
    directory, and ``out`` records it as YAML.
    """
    if isinstance(spec, dict):
        sweep = parse_sweep(spec, SPEC_SOURCE)
        resolver = Resolver(sweep, SPEC_SOURCE, root=Path.cwd())
        text = yaml.safe_dump(spec, sort_keys=False)
    else:
        sweep = load_sweep(spec)
        resolver = Resolver(sweep, spec)
        text = read_text(spec)
        if sweep.plugins:  # recorded resolved, so that reading the output directory (a report) loads them
            text = yaml.safe_dump({**yaml.safe_load(text), "plugins": list(sweep.plugins)}, sort_keys=False)
    resolver.check()
    listed = resolve_listed(sweep, resolver)
    out = Path(out) if out is not None else Path("results") / sweep.name
    _prepare(text, out, resume)
    store = ResultStore(out, flush_rows)
    done = store.done()
    own = executor is None
    ex = executor or get_executor("local")
    t0 = time.perf_counter()
    if sweep.timing == "fast":
        warm()
    try:
        # the resolved points and their configs live through the sweep: out of the cyclic collector's walks
        # meanwhile, which the driver's allocations would otherwise trigger over and over
        with frozen():
            search = SEARCHES[sweep.search.method]
            asked, points, ran = search(sweep, resolver, store, done, ex, progress, listed)
    finally:
        store.flush()
        if own:
            ex.close()
    seconds = time.perf_counter() - t0
    store.compact()
    table = store.read()
    front = pareto_front(table, sweep.objectives) if len(table) else table
    save_front(front, out)
    return SweepOutcome(out=out, points=points, ran=ran, skipped=points - ran, seconds=seconds, table=table,
                        front=front, asked=asked)


def _evaluate(sweep: Sweep, points: list[Point], store: ResultStore, ex: Executor,
              progress: Progress | None, finished: int, total: int) -> Iterator[Rows]:
    """Run ``points`` (none of them stored yet); store and yield each chunk's rows as it finishes.

    Everything per point is done before the first task goes out (the config columns as each chunk's
    :class:`Rows`): while workers run, the driver only joins two chunks' columns and writes parts."""
    failed = [infeasible_row(p, p.error) for p in points if p.error]
    if failed:
        rows = Rows.of(failed)
        store.add(rows)
        yield rows
    todo = [p for p in points if not p.error]
    chunk = EVENT_CHUNK if sweep.timing == "event" else \
        max(1, min(FAST_CHUNK, math.ceil(len(todo) / (4 * ex.workers))))
    cons = tuple(sweep.parsed_constraints())
    groups = chunks(todo, chunk)
    jobs = [Job(c[0].plan, sweep.timing, cons, tuple(replace(p, config={}) for p in c), tuple(sweep.plugins))
            for c in groups]
    # the config columns, added here: workers need not carry them; the jobs as they travel, pickled once here
    configs = [Rows.of([p.config for p in c]) for c in groups]
    tasks = [pickle.dumps(j, pickle.HIGHEST_PROTOCOL) for j in jobs]
    at = {id(t): i for i, t in enumerate(tasks)}
    if ex.inherits_driver:  # phase 1 here, once, before the workers fork
        for key in dict.fromkeys(j.plan for j in jobs):
            plan_for(key, sweep.timing)
        if jobs:  # and one point, so they inherit the cost, synthesis and FPGA tables it reads (~0.15 s each)
            run_job(replace(jobs[0], points=jobs[0].points[:1]))
        for job in jobs:  # and what each point's timing builds once (fast path: ~60 us a point on 2 workers)
            warm_job(job)
    finished += len(points) - len(todo)
    if progress:
        progress(finished, total)
    for task, done in ex.imap(run_pickled, tasks):
        rows = configs[at[id(task)]].beside(done)
        store.add(rows)
        finished += rows.size
        if progress:
            progress(finished, total)
        yield rows


def _listed(sweep: Sweep, resolver: Resolver, store: ResultStore, done: set[str], ex: Executor,
            progress: Progress | None, points: list[Point]) -> tuple[int, int, int]:
    """grid and random: every point is known up front (``points``, resolved)."""
    seen: set[str] = set()
    todo = []
    for p in points:  # two axis settings may resolve to one configuration: run it once
        if p.point_id not in done and p.point_id not in seen:
            todo.append(p)
        seen.add(p.point_id)
    for _ in _evaluate(sweep, todo, store, ex, progress, len(seen) - len(todo), len(seen)):
        pass
    return len(points), len(seen), len(todo)


def _nsga2(sweep: Sweep, resolver: Resolver, store: ResultStore, done: set[str], ex: Executor,
           progress: Progress | None, points: None) -> tuple[int, int, int]:
    """Optuna NSGA-II over the grid's values, a generation (``population`` trials) at a time."""
    try:
        import optuna
    except ImportError:
        raise InputError(None, "search.method", "nsga2 needs optuna: pip install 'accelsim[dist]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    s = sweep.search
    groups = sweep.groups()
    dists = {f"g{i}": optuna.distributions.CategoricalDistribution(list(range(len(next(iter(g.values()))))))
             for i, g in enumerate(groups)}
    study = optuna.create_study(
        directions=["minimize" if d == "min" else "maximize" for d in sweep.objectives.values()],
        sampler=optuna.samplers.NSGAIISampler(population_size=s.population, seed=s.seed))
    stored = store.read()
    rows: dict[str, dict[str, Any]] = {r["point_id"]: r for r in stored.to_dict("records")} if len(stored) else {}
    trials = s.trials or 0
    ran = 0
    unique: set[str] = set()
    while len(study.trials) < trials:
        batch = [study.ask(dists) for _ in range(min(s.population, trials - len(study.trials)))]
        values = []
        for t in batch:
            v: dict[str, Any] = {}
            for i, g in enumerate(groups):
                v.update({k: vals[t.params[f"g{i}"]] for k, vals in g.items()})
            values.append(v)
        start = len(study.trials) - len(batch)
        points = resolver.resolve_all(values, start=start)
        todo = list({p.point_id: p for p in points if p.point_id not in rows}.values())
        unique.update(p.point_id for p in points)
        for chunk in _evaluate(sweep, todo, store, ex, progress, len(unique) - len(todo), len(unique)):
            rows.update((r["point_id"], r) for r in chunk.records())
        ran += len(todo)
        for t, p in zip(batch, points, strict=True):
            r = rows[p.point_id]
            if r["status"] == "ok":
                study.tell(t, [float(r[o]) for o in sweep.objectives])
            else:
                study.tell(t, state=optuna.trial.TrialState.FAIL)
    return len(study.trials), len(unique), ran


SEARCHES: dict[str, Callable[..., tuple[int, int, int]]] = {"grid": _listed, "random": _listed, "nsga2": _nsga2}
"""Search methods by the name ``search.method`` uses; each returns (points asked, distinct points, run)."""
