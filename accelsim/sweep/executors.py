"""Executors: where chunks of points run. Each registers under the name a user selects.

``local`` runs in this process (one job) or in a pool of worker processes, which die with the
driver however it ends; ``dask`` runs on a Dask cluster, either a ``LocalCluster`` it starts (TLS with
temporary credentials only this process holds, no dashboard) or an existing scheduler. Both yield
results as chunks finish, in any order; the driver writes them to the store as they come.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, ClassVar

from accelsim.errors import InputError
from accelsim.sweep import evaluate

EXECUTORS: dict[str, type[Executor]] = {}


def register(cls: type[Executor]) -> type[Executor]:
    """Class decorator: make an executor selectable by its ``name``."""
    EXECUTORS[cls.name] = cls
    return cls


def get_executor(name: str, **options: Any) -> Executor:
    """Start a registered executor; unknown names list the registered ones."""
    try:
        cls = EXECUTORS[name]
    except KeyError:
        raise InputError(None, "--executor", f"unknown executor {name!r}; expected one of: "
                         f"{', '.join(sorted(EXECUTORS))}") from None
    return cls(**options)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent: int) -> None:
    """Worker initializer: the kernel kills this worker when the driver dies (Linux ``PR_SET_PDEATHSIG``),
    even by SIGKILL; a driver already gone ends it at once. What the worker inherits (the driver's
    WorkPlans among it) is frozen out of the cyclic collector's walks (``gc.freeze``)."""
    gc.freeze()
    evaluate.IN_WORKER = True
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


class Executor(ABC):
    """Runs ``fn`` over tasks, yielding ``(task, result)`` as each finishes."""

    name: ClassVar[str]
    inherits_driver: ClassVar[bool]
    """Whether workers start as copies of the driver process (so state it built, such as WorkPlans,
    is theirs without being sent)."""
    workers: int

    @abstractmethod
    def imap(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """Submit ``tasks`` (at most a few per worker in flight) and yield results as they come."""

    @abstractmethod
    def close(self) -> None:
        """Release workers."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@register
class LocalExecutor(Executor):
    """This process for one job; otherwise a pool of ``jobs`` worker processes, forked from the
    driver when they are first needed (after it has built the sweep's WorkPlans)."""

    name = "local"
    inherits_driver = True

    def __init__(self, jobs: int | None = None) -> None:
        self.workers = jobs or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        if self.workers > 1:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                             initializer=_die_with, initargs=(os.getpid(),))

    def imap(self, fn, tasks):
        if self._pool is None:
            for t in tasks:
                yield t, fn(t)
            return
        yield from _windowed(lambda t: self._pool.submit(fn, t), tasks, 2 * self.workers,
                             lambda fs: wait(fs, return_when=FIRST_COMPLETED)[0], lambda f: f.result())

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


@register
class DaskExecutor(Executor):
    """A Dask cluster: ``scheduler`` (``tcp://host:port``, or ``tls://host:port`` with the credentials of
    Dask's ``distributed.comm.tls`` configuration) or a new ``LocalCluster`` of ``workers``
    single-threaded worker processes. A worker that dies has its tasks rerun elsewhere.

    A Dask scheduler runs any function a connected client sends: whoever reaches a ``tcp://`` scheduler
    runs code as its workers' user. The LocalCluster therefore talks TLS with credentials made for it
    (``Security.temporary()``, held in this process's memory only), so no other local user can submit
    work, and its scheduler's HTTP server (which Dask always starts) serves no page, dashboard included,
    on a loopback port."""

    name = "dask"
    inherits_driver = False

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise InputError(None, "--executor", "the dask executor needs dask[distributed]: "
                             "pip install 'accelsim[dist]'") from None
        from distributed.security import Security

        self._cluster = None
        if scheduler and not scheduler.startswith(("tcp://", "tls://")):
            raise InputError(None, "--scheduler", f"expected tcp://HOST:PORT or tls://HOST:PORT, got {scheduler!r}")
        try:
            if scheduler:
                self._client = Client(scheduler, timeout="10s",
                                      **({"security": Security()} if scheduler.startswith("tls://") else {}))
            else:
                import dask

                security = Security.temporary()
                # Dask's scheduler always opens an HTTP server: give it no pages, on a loopback port
                with dask.config.set({"distributed.scheduler.http.routes": []}):
                    self._cluster = LocalCluster(
                        n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                        dashboard_address=None, protocol="tls://", security=security,
                        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})
                self._client = Client(self._cluster, security=security)
        except (OSError, TimeoutError) as err:
            if self._cluster is not None:  # a failed start leaves no cluster behind
                self._cluster.close()
            raise InputError(None, "--scheduler", f"cannot reach the Dask scheduler {scheduler!r} ({err})") from None
        self.workers = max(len(self._client.scheduler_info()["workers"]), 1)

    @property
    def client(self):
        return self._client

    def imap(self, fn, tasks):
        from dask.distributed import wait as dwait

        yield from _windowed(lambda t: self._client.submit(fn, t, pure=False), tasks, 2 * self.workers,
                             lambda fs: dwait(fs, return_when="FIRST_COMPLETED").done, lambda f: f.result())

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            # each worker process closes on its own before the cluster goes: Dask's nannies kill a worker still
            # running after 4 s (0.8 x their 5 s), which a loaded machine reaches, and the kill leaves a
            # CommClosedError traceback on stderr
            self._cluster.sync(_close_nannies, list(self._cluster.workers.values()))
            self._cluster.close()
            self._cluster = None  # closed: a second close() has nothing left to do


WORKER_EXIT_S = 60.0
"""How long a LocalCluster's worker process may take to exit when the executor closes before it is killed."""


async def _close_nannies(nannies: list[Any]) -> None:
    """Close the Dask nannies ``nannies`` (each its worker process), giving each ``WORKER_EXIT_S``."""
    await asyncio.gather(*(n.close(timeout=WORKER_EXIT_S) for n in nannies))


def _windowed(submit, tasks, window, wait_some, result) -> Iterator[tuple[Any, Any]]:
    """Keep at most ``window`` tasks in flight; yield (task, result) as they finish."""
    it = iter(tasks)
    live: dict[Any, Any] = {}
    for t in it:
        live[submit(t)] = t
        if len(live) >= window:
            break
    while live:
        for f in wait_some(list(live)):
            t = live.pop(f)
            yield t, result(f)
            nxt = next(it, None)
            if nxt is not None:
                live[submit(nxt)] = nxt
