"""The top-level API, ``accelsim.run``, ``accelsim.sweep`` and ``accelsim.report``: the CLI's behaviour
from Python, its checks included (bad arguments raise :class:`~accelsim.errors.InputError` with the
message the CLI prints; messages name the CLI's options).

Heavy modules are imported inside the functions, so ``import accelsim`` stays cheap.
"""

from __future__ import annotations

import sys
import time
import types
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accelsim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from accelsim.config import Hardware, PolicyConfig
    from accelsim.sim.result import SimResult
    from accelsim.trace.format import Trace
    from accelsim.workplan import WorkPlan

PHASES = ("prefill", "decode", "both")


class _BuiltOnRead:
    """A dataclass field set to a value or to a function of no arguments that builds it; read, it is the
    value, built on the first read (e.g. a DataFrame that a run without a report never needs)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = f"_{name}"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:  # no default: the field is required
            raise AttributeError(self.name)
        value = obj.__dict__[self.name]
        if callable(value):
            value = obj.__dict__[self.name] = value()
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value


def _no_dram() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns=["start", "end", "bytes", "kind", "item"])


@dataclass(eq=False)
class RunRecord:
    """A simulated run's inputs and detail tables: what its report holds besides the SimResult."""

    hardware: Hardware
    policy: PolicyConfig
    workload: dict[str, Any]
    """The report's ``workload.*`` columns: path (or the object's type), sha256 (of the file; "" for an
    object), phases, seed, timing."""
    plan: WorkPlan
    dram: pd.DataFrame = _BuiltOnRead()
    """DRAM transfers (start, end, bytes, kind, item; cycles); empty where the timer logs none. Set to
    a DataFrame or to a function that builds it on first read."""
    layers: pd.DataFrame | None
    """Per-layer breakdown of the timer's cycles (the behavioural timing's); None where it has none."""
    wall_s: float


_RECORDS: dict[int, RunRecord] = {}
"""The record of each live SimResult that ``run`` returned, by ``id`` (dropped with the result, which
it does not hold)."""


def split_overrides(flat: Mapping[str, Any], field: str = "overrides") -> tuple[dict[str, Any], dict[str, Any]]:
    """``{"hw.topk.parallelism": 4, "policy.values": 0.3}`` into nested (hardware, policy) override dicts.

    Raises
    ------
    InputError
        If a key is not ``hw.PATH`` or ``policy.PATH``, or sets a field inside another override's value.
    """
    out: dict[str, dict[str, Any]] = {"hw": {}, "policy": {}}
    for key, value in flat.items():
        root, _, path = str(key).partition(".")
        if root not in out or not path:
            raise InputError(None, field, f"expected hw.PATH or policy.PATH, got {key!r}")
        node = out[root]
        *parents, leaf = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise InputError(None, field, f"{key!r} sets a field inside {root}.{p}, which another override sets")
        node[leaf] = value
    return out["hw"], out["policy"]


def execute(workload: str | Path | Trace | WorkPlan, hw: str | Path | Hardware, policy: str | Path | PolicyConfig,
            hw_over: dict[str, Any], policy_over: dict[str, Any], *, timing: str = "event", phases: str = "both",
            seed: int = 0, dram_trace: tuple[Path, str] | None = None) -> tuple[SimResult, RunRecord]:
    """Load, plan (phase 1) and simulate (phase 2) one run, as ``accelsim run`` does.

    ``dram_trace = (path, format)`` also writes the DRAM reads of the event engine's run.
    """
    from accelsim import api
    from accelsim.config import load_hardware, load_policy
    from accelsim.timers import get_timer
    from accelsim.trace.format import Trace
    from accelsim.workplan import WorkPlan

    if phases not in PHASES:
        raise InputError(None, "--phases", f"expected one of: {', '.join(PHASES)}, got {phases!r}")
    if not isinstance(workload, str | Path | Trace | WorkPlan):
        raise InputError(None, "--workload", f"expected a path, a Trace or a WorkPlan, got {type(workload).__name__}")
    hardware = load_hardware(hw, hw_over)
    pol = load_policy(policy, policy_over)
    timer = get_timer(timing)  # after the configs, whose plugins: may add it
    if not timer.dram_trace and dram_trace is not None:
        raise InputError(None, "--dram-trace", f"the {timing} timing issues no DRAM reads to trace")
    t0 = time.perf_counter()
    engine = api.plan_engine(hardware, api.replays(workload))
    if isinstance(workload, str | Path):
        loaded, name, described = api.load_workload(workload, seed, engine), Path(workload).name, str(workload)
    else:
        name = workload.meta.model if isinstance(workload, Trace) else Path(workload.meta.get("source", "")).name
        loaded, described = workload, type(workload).__name__
    plan = api.plan(pol, loaded, phases=phases, engine=engine)
    timed = timer.time(hardware, timer.prepare(plan), workload=name, dram_trace=dram_trace)
    dram = timed.dram if timed.dram is not None else _no_dram
    result, layers = timed.result, timed.layers
    sha = api.file_sha(str(Path(workload).resolve())) if isinstance(workload, str | Path) else ""
    workload_cols = {"path": described, "sha256": sha, "phases": phases, "seed": seed, "timing": timing}
    return result, RunRecord(hardware, pol, workload_cols, plan, dram, layers, time.perf_counter() - t0)


def run(workload: str | Path | Trace | WorkPlan, hw: str | Path | Hardware = "spatten",
        policy: str | Path | PolicyConfig = "spatten", *, overrides: Mapping[str, Any] | None = None,
        timing: str = "event", phases: str = "both", seed: int = 0) -> SimResult:
    """Simulate ``workload`` under ``policy`` on ``hw``, as ``accelsim run`` does.

    Parameters
    ----------
    workload
        A trace (.safetensors), SpAtten request trace (.csv) or synthetic workload spec (.yaml), or
        an already loaded Trace or WorkPlan.
    hw, policy
        A preset name, a YAML file, or a config object (``accelsim.config.Hardware``, a policy config).
    overrides
        Dotted paths to values, as ``--set``: ``{"hw.topk.parallelism": 4, "policy.values": 0.3}``.
    timing
        A registered timer (``accelsim.timers``): ``event`` (the event engine), ``fast`` (its one-pass
        recurrence, bandwidth DRAM model) or ``spatten-behavioural`` (the SpAtten authors' model).
    phases
        ``prefill``, ``decode`` or ``both`` (traces only).
    seed
        Seed of the pivots of request-trace top-k jobs.

    Returns
    -------
    SimResult
        Equal to ``accelsim run --json`` of the same inputs; ``accelsim.report`` of it writes the
        report ``accelsim run --report`` writes (its run's inputs and detail tables, about 1 MB for
        the GPT-2 CSV, are kept while the result lives).

    Raises
    ------
    InputError
        On bad arguments, with the CLI's message.
    """
    if overrides is not None and not isinstance(overrides, Mapping):
        raise InputError(None, "overrides", "expected a dict like {'hw.topk.parallelism': 4}, "
                         f"got {type(overrides).__name__}")
    hw_over, policy_over = split_overrides(overrides or {})
    result, record = execute(workload, hw, policy, hw_over, policy_over, timing=timing, phases=phases, seed=seed)
    _RECORDS[id(result)] = record
    weakref.finalize(result, _RECORDS.pop, id(result), None)
    return result


def sweep(spec: str | Path | Mapping[str, Any], out: str | Path | None = None, *,
          jobs: int | None = None) -> pd.DataFrame:
    """Run a design-space sweep, as ``accelsim sweep`` does; points already in ``out`` are skipped.

    Parameters
    ----------
    spec
        A sweep YAML file (``sweeps/``), or its content as a dict (relative paths then start from the
        working directory).
    out
        Results directory (default ``results/<name>``); it also gets the sweep file and its Pareto front.
    jobs
        Local worker processes (default: all cores).

    Returns
    -------
    pandas.DataFrame
        The results table, one row per point in ``out``: its config columns, ``status`` (``ok`` or why
        not) and ``SimResult.flat()``'s columns.
    """
    from accelsim.sweep import get_executor, run_sweep

    if not isinstance(spec, str | Path | Mapping):
        raise InputError(None, "spec", f"expected a sweep YAML path or a dict, got {type(spec).__name__}")
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
        raise InputError(None, "--jobs", f"expected a number of processes, at least 1, got {jobs!r}")
    with get_executor("local", jobs=jobs) as ex:
        return run_sweep(dict(spec) if isinstance(spec, Mapping) else spec, out, executor=ex).table


def write_run_report(path: Path, result: SimResult, record: RunRecord, title: str | None = None) -> None:
    """The run's results directory (``path`` with suffix ``.data``: its points row, requests and DRAM
    transfers as Parquet) and its HTML report at ``path``."""
    from accelsim.config.flat import point_config
    from accelsim.outputs import atomic_dir
    from accelsim.report import load_results, run_row, write_report, write_run

    config = point_config(record.hardware.model_dump(), record.policy.model_dump(), record.workload)
    with atomic_dir(path.with_suffix(".data"), "--report") as data:
        write_run(data, run_row(config, result.flat(), record.wall_s), record.plan.requests, record.dram)
        write_report(load_results(data), path, title)


def report(results: SimResult | pd.DataFrame | str | Path, path: str | Path, *, title: str | None = None,
           objectives: str | Mapping[str, str] | list[str] | None = None, x: str | None = None,
           y: str | None = None, color: str | None = None) -> Path:
    """Write the HTML report of ``results`` to ``path``, as ``accelsim run --report`` / ``accelsim report``.

    Parameters
    ----------
    results
        A SimResult from ``accelsim.run`` (a single-run report, with its data directory beside it,
        ``path`` with suffix ``.data``; a SimResult made otherwise, e.g. read from JSON, reports its
        metrics alone), a results table (``accelsim.sweep``'s), or a results directory or table file.
    title
        Page title (default: from the results).
    objectives, x, y, color
        As ``accelsim report --objectives --x --y --color``: the front the sweep figures mark
        (``"cycles,quality_mass_recall:max"``, ``{"cycles": "min", ...}`` or a list of names; default:
        the sweep's, else cycles and energy), the front plot's axes and its colour column.

    Returns
    -------
    Path
        ``path``.
    """
    import pandas as pd

    from accelsim.report import load_results, results_from_table, run_row, write_report
    from accelsim.report.view import view_for
    from accelsim.sim.result import SimResult

    path = Path(path)
    options = {"objectives": objectives, "x": x, "y": y, "color": color}
    if isinstance(results, SimResult):
        if any(v is not None for v in options.values()):
            name = next(k for k, v in options.items() if v is not None)
            raise InputError(None, name, "one point has no trade-off figures; give a sweep's results")
        record = _RECORDS.get(id(results))
        if record is not None:
            write_run_report(path, results, record, title)
        else:
            write_report(results_from_table(pd.DataFrame([run_row({}, results.flat(), 0.0)]), "SimResult"), path,
                         title)
    elif isinstance(results, pd.DataFrame | str | Path):
        res = results_from_table(results, "DataFrame") if isinstance(results, pd.DataFrame) else load_results(results)
        write_report(res, path, title, view_for(res, objectives, x, y, color))
    else:
        raise InputError(None, "results", "expected a SimResult, a results DataFrame or a results directory, "
                         f"got {type(results).__name__}")
    return path


def callable_package(name: str, fn: Callable[..., Any]) -> None:
    """Make the imported package ``name`` callable as ``fn``: ``accelsim.sweep`` and ``accelsim.report``
    are both subpackages and functions."""
    import inspect

    module = sys.modules[name]
    module.__class__ = type("CallablePackage", (types.ModuleType,), {"__call__": staticmethod(fn)})
    module.__signature__ = inspect.signature(fn)
