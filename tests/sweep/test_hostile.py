"""Hostile sweeps: names that would leave results/, unbounded axes, outputs of the wrong kind, corrupt or
foreign result parts, and the processes a sweep starts (workers die with the driver; the Dask cluster
accepts only clients holding its credentials)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pandas as pd
import pytest

from accelsim.errors import InputError
from accelsim.sweep import get_executor, load_sweep, pareto_front, read_results, run_sweep
from accelsim.sweep.spec import MAX_AXIS_VALUES
from tests.conftest import ROOT

ONE = {"hw.topk.parallelism": [4]}


@pytest.mark.parametrize("name", ["../../../x", "/tmp/x", "a/b", "..", ".hidden", ""])
def test_a_name_is_a_name(write_sweep, name):
    with pytest.raises(InputError, match=r"field 'name': expected a plain name of letters, digits"):
        load_sweep(_named(write_sweep, name))


def _named(write_sweep, name):
    path = write_sweep("s", axes=ONE)
    path.write_text(path.read_text().replace("name: s", f"name: '{name}'"))
    return path


@pytest.mark.parametrize(
    ("axis", "message"),
    [
        ({"range": [200, 300, 1.0e-12]}, rf"range \[200\.0, 300\.0, 1e-12\] has more than {MAX_AXIS_VALUES:,} values"),
        ({"range": [200, float("inf"), 1]}, "Input should be a finite number"),
        ({"logrange": [200, 300, 10**9]}, rf"1 <= count <= {MAX_AXIS_VALUES:,}"),
    ],
)
def test_axes_are_bounded(write_sweep, axis, message):
    with pytest.raises(InputError, match=message):
        load_sweep(write_sweep(axes={"hw.sram.key_kb": axis}))


def test_grids_are_bounded_but_random_search_samples_huge_ones(write_sweep, tmp_path):
    huge = {"hw.fetcher.latency": {"range": [0, 99999, 1]}, "hw.qk.latency": {"range": [0, 99999, 1]}}
    with pytest.raises(
        InputError,
        match=r"field 'axes': the grid has 10,000,000,000 points, more than the "
        r"10,000,000 a grid search may span$",
    ):
        load_sweep(write_sweep(axes=huge))
    spec = load_sweep(write_sweep(axes=huge, search={"method": "random", "samples": 2, "seed": 0}))
    from accelsim.sweep.points import expand

    assert len(expand(spec)) == 2


@pytest.mark.parametrize(("constraint", "bad"), [("cycles <= 1.2.3", "1.2.3"), ("cycles <= 1e999", "1e999")])
def test_constraint_bounds_are_finite_numbers(write_sweep, constraint, bad):
    with pytest.raises(InputError, match=rf"expected a finite number after <=, got '{bad}'"):
        load_sweep(write_sweep(axes=ONE, constraints=[constraint]))


def test_inline_extends_must_name_something(write_sweep, tmp_path):
    path = write_sweep(axes=ONE)
    path.write_text(path.read_text().replace("hw: spatten", "hw: {extends: 42}"))
    with pytest.raises(InputError, match=r"field 'base.hw.extends': expected a preset name or path, got 42$"):
        run_sweep(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # a failed start leaves nothing behind


def test_outputs_of_the_wrong_kind(write_sweep, tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match=r"afile: field '--output': is a file; expected a directory"):
        run_sweep(write_sweep(axes=ONE), tmp_path / "afile")


def test_corrupt_and_foreign_parts_are_one_line(write_sweep, tmp_path):
    path = write_sweep(axes=ONE)
    out = tmp_path / "out"
    with get_executor("local", jobs=1) as ex:
        run_sweep(path, out, executor=ex)
    part = next((out / "results").glob("part-*.parquet"))
    table = pd.read_parquet(part)
    table.assign(accelsim_version="0.0.1").to_parquet(part)
    with pytest.raises(
        InputError,
        match=r"results written by accelsim 0\.0\.1; this is accelsim .*: choose another "
        "output directory",
    ):
        read_results(out)
    part.write_bytes(b"PAR1 not parquet")
    with pytest.raises(InputError, match=r"part-.*\.parquet: not a readable results part \(ArrowInvalid\)"):
        run_sweep(path, out)
    with pytest.raises(InputError, match=r"not a numeric column: 'hardware' in the results"):
        pareto_front(table, {"hardware": "min"})


WORKER = """
import os, sys, time
from accelsim.sweep.executors import get_executor

def hold(i):
    open(f"{sys.argv[1]}/{os.getpid()}", "w").close()
    time.sleep(600)

with get_executor("local", jobs=2) as ex:
    for _ in ex.imap(hold, range(2)):
        pass
"""


def test_local_workers_die_with_the_driver(tmp_path):
    driver = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(tmp_path)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    deadline = time.monotonic() + 120
    while len(list(tmp_path.iterdir())) < 2:  # both workers hold a task
        assert time.monotonic() < deadline and driver.poll() is None
        time.sleep(0.05)
    workers = [int(p.name) for p in tmp_path.iterdir()]
    driver.send_signal(signal.SIGKILL)  # the driver alone: no chance to shut its pool down
    driver.wait()
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, "workers outlived their driver"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_dask_cluster_admits_only_its_own_clients():
    pytest.importorskip("dask.distributed")
    with get_executor("dask", workers=1) as ex:
        address = ex.client.scheduler.address
        assert address.startswith("tls://")
        port = ex.client.scheduler_info()["services"]["dashboard"]  # Dask's HTTP server, serving no page
        for page in ("status", "info/main/workers.html", "json/identity.json", "metrics"):
            with pytest.raises(urllib.error.HTTPError, match="404"):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/{page}", timeout=5)
        assert ex.client.submit(pow, 2, 5).result() == 32  # the sweep's own client runs tasks
        # each stranger in a process of its own, as another local user would be (and a client that failed
        # to connect is then never collected in this process while another starts: distributed can deadlock so)
        for how in ("no credentials", "plain tcp", "foreign CA"):
            proc = subprocess.run([sys.executable, "-c", STRANGER, address, how], capture_output=True, text=True,
                                  timeout=120)
            assert proc.returncode != 0 and "ran 32" not in proc.stdout, (how, proc.stdout, proc.stderr[-500:])
            last = proc.stderr.strip().splitlines()[-1]  # it failed to connect (TLS refused), not to start
            assert re.search(r"TLS|CommClosedError|Timed out", last), (how, last)


STRANGER = """
import sys
from dask.distributed import Client
from distributed.security import Security
address, how = sys.argv[1], sys.argv[2]
if how == "plain tcp":
    address = address.replace("tls://", "tcp://")
kw = {"security": Security.temporary()} if how == "foreign CA" else {}
print("ran", Client(address, timeout="3s", **kw).submit(pow, 2, 5).result(timeout=5))
"""


def test_scheduler_addresses_are_checked():
    pytest.importorskip("dask.distributed")
    with pytest.raises(
        InputError,
        match=r"field '--scheduler': expected tcp://HOST:PORT or tls://HOST:PORT, "
        r"got 'http://x:1'$",
    ):
        get_executor("dask", scheduler="http://x:1")


def test_nsga2_trials_are_bounded(write_sweep):
    from accelsim.sweep.spec import MAX_POINTS

    path = write_sweep(axes={"hw.topk.parallelism": [4, 8]}, search={"method": "nsga2", "trials": MAX_POINTS + 1})
    with pytest.raises(InputError, match=r"field 'search\.trials'.*less than or equal to 10000000"):
        load_sweep(path)
