"""Shared fixtures: the shipped SpAtten traces, small synthetic traces, CLI runners (in this process and
in a fresh one)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

# One BLAS / OpenMP thread per process, set before numpy or torch load (and inherited by the CLI, notebook
# and simulator subprocesses): xdist already runs a worker per core, and the idle threads of a
# multi-threaded BLAS spin on a loaded machine (validate --fast: 19 CPU-s with OpenBLAS's threads, 7 with one).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from accelsim.trace.format import write_trace  # noqa: E402
from accelsim.trace.synthetic import synthetic_trace  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SPATTEN = ROOT / "workloads" / "spatten"
CSV_PRUNED = SPATTEN / "summary-gpt2-small-wikitext2-per8.csv"
CSV_DENSE = SPATTEN / "summary-gpt2-small-wikitext2-per8-step1+dedic.csv"


# Scheduling under xdist (pyproject's addopts: --dist loadgroup). Tests that share a built_once fixture
# form one group, run by one worker, so that no other worker sits waiting on its lock; groups start first.
# Then modules go longest test first, by the durations of the last run (pytest's cache), so that the run
# does not end on one worker busy with a long test while the others idle.
SHARED = {"fast": "tests/validation", "example_site": "tests/plugins"}
"""Fixtures built with built_once whose tests are grouped: fixture name -> where it is defined."""
LONGEST = "accelsim/longest-test-s"
"""The cache key: test module -> its longest test's seconds (set-up, call and tear-down) last run."""
_seconds: dict[str, float] = {}
"""This run's seconds per test, as reports reach the main process."""


def _module(nodeid: str) -> str:
    return nodeid.partition("::")[0]


@pytest.hookimpl(tryfirst=True)  # before xdist's, which reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for name in sorted(SHARED.keys() & set(getattr(item, "fixturenames", ()))):
            defs = item._fixtureinfo.name2fixturedefs.get(name, ())
            if defs and defs[-1].baseid.startswith(SHARED[name]):
                item.add_marker(pytest.mark.xdist_group(name))
    cache = getattr(config, "cache", None)
    if "PYTEST_XDIST_WORKER" in os.environ and cache is not None:
        longest = cache.get(LONGEST, {})
        items.sort(key=lambda item: -longest.get(_module(item.nodeid), 0.0))  # stable: modules stay whole


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "PYTEST_XDIST_WORKER" not in os.environ:
        _seconds[report.nodeid] = _seconds.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    cache = getattr(session.config, "cache", None)
    if "PYTEST_XDIST_WORKER" in os.environ or cache is None or not _seconds:
        return
    longest = cache.get(LONGEST, {})
    for module in {_module(nodeid) for nodeid in _seconds}:
        longest[module] = 0.0
    for nodeid, seconds in _seconds.items():
        longest[_module(nodeid)] = max(longest[_module(nodeid)], round(seconds, 2))
    cache.set(LONGEST, longest)


@pytest.fixture(scope="session")
def small_trace():
    """A tiny decoder trace: 4 layers, 4 heads, 96-token prompt, 6 decode steps."""
    return synthetic_trace(layers=4, heads=4, head_dim=32, prompt_len=96, decode_steps=6, seed=1)


@pytest.fixture(scope="session")
def small_trace_file(tmp_path_factory, small_trace) -> Path:
    path = tmp_path_factory.mktemp("traces") / "small.safetensors"
    write_trace(path, small_trace)
    return path


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder ``build`` fills once per test run, shared by every xdist worker (pytest-xdist's recipe:
    the workers' base temp folders share a parent; a lock lets the first build while the others wait).
    ``build`` must leave the folder complete or raise; a failed build is retried by the next caller."""
    root = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        root = root.parent
    folder, done = root / f"once-{name}", root / f"once-{name}.done"
    with FileLock(str(root / f"once-{name}.lock")):
        if not done.exists():
            folder.mkdir(exist_ok=True)
            build(folder)
            done.touch()
    return folder


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run ``accelsim ARGS`` in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "accelsim.cli", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def cli(*args: object) -> subprocess.CompletedProcess:
    """Run ``accelsim ARGS`` in this process, as the console script does (``accelsim.cli.main``, from the
    repository root): its exit status, stdout and stderr. It spares the ~0.7 s of a fresh interpreter;
    use :func:`run_cli` where the test needs one (start-up, plug-ins that register into the process)."""
    from accelsim.cli import main

    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    code: object = 0
    with (
        contextlib.chdir(ROOT),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        warnings.catch_warnings(),
    ):
        # as in a fresh interpreter: deprecations hidden, other warnings printed on stderr
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        warnings.showwarning = lambda msg, cat, file, line, *_: sys.stderr.write(
            warnings.formatwarning(msg, cat, file, line)
        )
        try:
            main(argv)
        except SystemExit as done:
            code = done.code
    status = code if isinstance(code, int) else (0 if code is None else 1)
    return subprocess.CompletedProcess(["accelsim", *argv], status, out.getvalue(), err.getvalue())
