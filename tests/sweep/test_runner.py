"""Sweeps end to end: resumable and crash-safe results, determinism, Dask, NSGA-II, Pareto."""

import gc
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from accelsim.cli import main
from accelsim.config import load_hardware
from accelsim.errors import InputError
from accelsim.hw.cost.model import overheads
from accelsim.hw.cost.units import unit_costs
from accelsim.sweep import get_executor, pareto_front, read_results, run_sweep
from tests.conftest import ROOT

GRID = {"hw.topk.parallelism": [2, 4, 8, 16], "hw.dram.channels": [2, 4, 8], "hw.qk.multipliers": [128, 512]}
METRICS = ["cycles", "energy_j", "area_mm2", "dram_bytes", "busy_by_qk", "quality_mass_recall"]


def metrics(table: pd.DataFrame) -> pd.DataFrame:
    """The metric columns, one row per point, ordered by point id."""
    return table.sort_values("point_id").set_index("point_id")[METRICS]


def sweep_once(path, out, jobs=1, **kw):
    with get_executor("local", jobs=jobs) as ex:
        return run_sweep(path, out, executor=ex, **kw)


def area_mm2(**over) -> float:
    """Area of the ``spatten`` preset with ``over`` (block -> fields), as the cost model prices it."""
    return sum(u.area_mm2 for u in unit_costs(load_hardware("spatten", over)).values()) * overheads().layout


def test_grid_rerun_skips_finished_points(write_sweep, tmp_path):
    # an area budget between the grid's largest 128-multiplier design and its smallest 512-multiplier one
    small = area_mm2(qk={"multipliers": 128}, topk={"parallelism": 16}, dram={"channels": 8})
    big = area_mm2(qk={"multipliers": 512}, topk={"parallelism": 2}, dram={"channels": 2})
    assert small < big
    budget = round((small + big) / 2, 2)
    path = write_sweep(axes=GRID, constraints=[f"area_mm2 <= {budget}"])
    first = sweep_once(path, tmp_path / "out")
    assert (first.points, first.ran) == (24, 24)
    t = first.table
    assert len(t) == 24 and t["point_id"].is_unique and list(t["point_index"]) == list(range(24))
    # the constraint: big arrays are over the area budget; their rows stay, marked with the reason
    over = t[t["hw.qk.multipliers"] == 512]
    assert (over["status"] == "infeasible").all() and over["error"].str.contains(f"violates area_mm2 <= {budget}").all()
    assert (t.loc[t["hw.qk.multipliers"] == 128, "status"] == "ok").all()
    again = sweep_once(path, tmp_path / "out")
    assert (again.points, again.ran, again.skipped) == (24, 0, 24)
    assert again.table.equals(t)


def test_a_changed_sweep_needs_resume(write_sweep, tmp_path):
    sweep_once(write_sweep(axes={"hw.topk.parallelism": [2, 4]}), tmp_path / "out")
    grown = write_sweep(axes={"hw.topk.parallelism": [2, 4, 8]})
    with pytest.raises(InputError, match=r"out: holds the results of another sweep \(.*\); pass --resume"):
        sweep_once(grown, tmp_path / "out")
    assert sweep_once(grown, tmp_path / "out", resume=True).ran == 1


def test_infeasible_points_are_rows(write_sweep, tmp_path):
    # a multiplier count that is no power of two fails the hardware model's own check
    t = sweep_once(write_sweep(axes={"hw.qk.multipliers": [256, 384]}), tmp_path / "out").table
    bad = t[t["hw.qk.multipliers"] == 384].iloc[0]
    assert bad["status"] == "infeasible" and "must be a power of two, not 384" in bad["error"]
    assert np.isnan(bad["cycles"]) and t.loc[t["hw.qk.multipliers"] == 256, "status"].item() == "ok"


def test_same_sweep_same_table(write_sweep, tmp_path):
    # bitwise-equal metrics across runs, worker counts and search orders
    path = write_sweep(axes=GRID, search={"method": "random", "samples": 10, "seed": 5})
    a = sweep_once(path, tmp_path / "a").table
    b = sweep_once(path, tmp_path / "b", jobs=2).table
    assert len(a) == 10
    assert list(a["point_id"]) == list(b["point_id"])
    pd.testing.assert_frame_equal(metrics(a), metrics(b), check_exact=True)


def test_sigkill_then_rerun_equals_clean_run(write_sweep, tmp_path):
    # The second half of the grid names a DRAM table that is a named pipe: its first point blocks
    # in the worker when it opens it, so the sweep holds exactly the first half when it is killed,
    # however fast the machine. Rows are written as they finish (--flush-rows 1).
    blocker = tmp_path / "blocker.yaml"
    os.mkfifo(blocker)
    path = write_sweep(axes={"hw.dram.preset": ["hbm2-spatten", str(blocker)],
                             "hw.topk.parallelism": [1, 2, 4, 8, 16], "hw.softmax.parallelism": [4, 8]},
                       timing="event")
    cmd = [sys.executable, "-m", "accelsim.cli", "sweep", str(path), "-o", str(tmp_path / "killed"), "-j", "1",
           "--flush-rows", "1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 240
    while len(read_results(tmp_path / "killed")) < 10 and time.monotonic() < deadline:
        assert proc.poll() is None, "the sweep ended before its blocked half"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its blocked worker
    proc.wait()
    assert len(read_results(tmp_path / "killed")) == 10  # the first half, each point whole
    blocker.unlink()
    blocker.write_text((ROOT / "accelsim/hw/dram/standards/hbm2-spatten.yaml").read_text())
    rerun = sweep_once(path, tmp_path / "killed")
    assert rerun.ran == 10
    clean = sweep_once(path, tmp_path / "clean").table
    t = read_results(tmp_path / "killed")
    assert len(t) == 20 and t["point_id"].is_unique
    assert list(t["point_id"]) == list(clean["point_id"])
    pd.testing.assert_frame_equal(metrics(t), metrics(clean), check_exact=True)


def test_dask_worker_killed_mid_sweep(write_sweep, tmp_path):
    pytest.importorskip("dask.distributed")
    path = write_sweep(axes={"hw.topk.parallelism": [1, 2, 4, 8, 16, 32], "hw.dram.channels": [2, 4, 8, 16]},
                       timing="event")
    killed = []
    with get_executor("dask", workers=2) as ex:
        pids = ex.client.run(os.getpid)

        def kill_one(n, total):
            if n > 0 and not killed:  # once work is flowing, SIGKILL a worker process
                pid = next(iter(pids.values()))
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        out = run_sweep(path, tmp_path / "dask", executor=ex, progress=kill_one)
    assert killed
    clean = sweep_once(path, tmp_path / "clean").table
    assert len(out.table) == 24 and out.table["point_id"].is_unique
    pd.testing.assert_frame_equal(metrics(out.table), metrics(clean), check_exact=True)


def test_nsga2_is_seeded_and_resumable(write_sweep, tmp_path):
    pytest.importorskip("optuna")
    path = write_sweep(axes=GRID, search={"method": "nsga2", "trials": 16, "population": 8, "seed": 1},
                       objectives={"cycles": "min", "area_mm2": "min"})
    a = sweep_once(path, tmp_path / "a")
    assert 0 < a.points <= 16 and a.ran == a.points
    assert sweep_once(path, tmp_path / "a").ran == 0  # every trial's point is already stored
    b = sweep_once(path, tmp_path / "b").table
    pd.testing.assert_frame_equal(metrics(a.table), metrics(b), check_exact=True)


def test_pareto_front():
    t = pd.DataFrame({"status": ["ok"] * 5 + ["infeasible"], "cycles": [1, 2, 3, 2, 4, 0],
                      "energy_j": [5, 3, 1, 4, 1, 0], "point_index": range(6)})
    front = pareto_front(t, {"cycles": "min", "energy_j": "min"})
    assert list(front["point_index"]) == [0, 1, 2]  # (2, 4) and (4, 1) are dominated; infeasible rows never count
    assert list(pareto_front(t, {"cycles": "max"})["point_index"]) == [4]


def test_sweep_and_pareto_commands(write_sweep, tmp_path, capsys):
    path = write_sweep(axes={"hw.topk.parallelism": [2, 16], "hw.qk.multipliers": [128, 512]})
    main(["sweep", str(path), "-o", str(tmp_path / "out"), "-j", "1"])
    out = capsys.readouterr().out
    assert "4 points (4 run, 0 already done, 0 infeasible)" in out and "Pareto front (cycles min, energy_j min)" in out
    main(["pareto", str(tmp_path / "out"), "--objectives", "cycles,area_mm2"])
    out = capsys.readouterr().out
    front = pd.read_parquet(tmp_path / "out" / "pareto_cycles-min_area_mm2-min.parquet")
    assert "Pareto front (cycles min, area_mm2 min)" in out and 1 <= len(front) <= 4
    assert front.equals(pareto_front(read_results(tmp_path / "out"), {"cycles": "min", "area_mm2": "min"}))
    with pytest.raises(SystemExit):
        main(["pareto", str(tmp_path / "out"), "--objectives", "latency"])
    assert "no column 'latency' in the results" in capsys.readouterr().err


def test_quickstart_sweep(tmp_path, capsys):
    main(["sweep", str(ROOT / "sweeps" / "quickstart.yaml"), "-o", str(tmp_path / "qs")])
    t = read_results(tmp_path / "qs")
    assert len(t) == 40 and (t["status"] == "ok").all()
    assert "Pareto front (cycles min, energy_j min, area_mm2 min)" in capsys.readouterr().out
    # the cost axes respond to the hardware: every point has its own energy, and trading cycles
    # against energy alone leaves several designs on the front (16, 24, 32 DRAM channels: faster, more standby)
    assert t["energy_j"].nunique() == 40 and t["energy_static_j"].nunique() == 40
    assert len(pareto_front(t, {"cycles": "min", "energy_j": "min"})) >= 3
    # the stat dictionary travels in every part's metadata
    main(["describe", str(tmp_path / "qs"), "--json"])
    stats = json.loads(capsys.readouterr().out)
    assert stats["energy_static_j"]["unit"] == "J" and stats["actions_by_qk_mac"]["unit"] == "action"
    assert set(stats) <= set(t.columns) and "energy_by_sram_key" in stats


def test_fast_timing_refuses_the_bank_dram_model(write_sweep, tmp_path):
    t = sweep_once(write_sweep(axes={"hw.dram.model": ["bandwidth", "bank"]}), tmp_path / "out").table
    bank = t[t["hw.dram.model"] == "bank"].iloc[0]
    assert bank["status"] == "infeasible" and "supports only the bandwidth DRAM model" in bank["error"]
    assert t.loc[t["hw.dram.model"] == "bandwidth", "status"].item() == "ok"


def test_plans_once_per_topk_param_the_engine_reads(write_sweep, tmp_path, monkeypatch, small_trace_file):
    # the plan key holds the hardware's top-k fields its engine's functional model reads
    # (quick-select: pivot_seed), so parallelism sweeps share one WorkPlan and seed sweeps re-plan
    import accelsim
    from accelsim.sweep import evaluate

    builds = []
    real = evaluate.api.plan
    monkeypatch.setattr(evaluate, "_PLANS", {})
    monkeypatch.setattr(evaluate.api, "plan", lambda *a, **kw: builds.append(kw["engine"].params) or real(*a, **kw))
    t = sweep_once(write_sweep("p", axes={"hw.topk.parallelism": [2, 4, 8]}, timing="event"), tmp_path / "p").table
    assert len(builds) == 1 and (t["status"] == "ok").all() and t["cycles"].nunique() == 3
    builds.clear()
    seeds = [0xACE1, 1, 7]
    t = sweep_once(write_sweep("s", axes={"hw.topk.pivot_seed": seeds}, timing="event"), tmp_path / "s").table
    # one plan per seed; the default seed's is the one the parallelism sweep built (same key)
    assert [p.pivot_seed for p in builds] == seeds[1:] and (t["status"] == "ok").all()
    assert t["cycles"].nunique() == 3
    # each row is what `accelsim run` gives at that point
    run = accelsim.run(small_trace_file, overrides={"hw.topk.pivot_seed": 1}).cycles
    assert t.loc[t["hw.topk.pivot_seed"] == 1, "cycles"].item() == run


def test_topk_param_that_changes_nothing_is_infeasible(write_sweep, tmp_path):
    # a policy without selections never runs quick-select's LFSR: a seed away from the default is a
    # row that says why; the default seed runs
    axes = {"hw.topk.pivot_seed": [0xACE1, 7], "policy": ["dense"]}
    t = sweep_once(write_sweep(axes=axes), tmp_path / "out").table
    bad = t[t["hw.topk.pivot_seed"] == 7].iloc[0]
    assert bad["status"] == "infeasible" and bad["error"].startswith("hw.topk.pivot_seed: changes nothing here")
    assert t.loc[t["hw.topk.pivot_seed"] == 0xACE1, "status"].item() == "ok"


@pytest.mark.parametrize("timing", ["event", "fast"])
def test_rows_hold_the_whole_config_with_the_run_point_id(write_sweep, tmp_path, small_trace_file, timing):
    # every row holds the resolved config, swept or not, as `accelsim run` writes it, and one
    # function gives the point the same id either way (the fast timing's batched chunks too)
    from accelsim.config.flat import point_config, point_id
    from accelsim.facade import execute
    from accelsim.report import load_results, render

    t = sweep_once(write_sweep(axes={"hw.topk.parallelism": [4, 16]}, timing=timing), tmp_path / "out").table
    _, record = execute(small_trace_file, "spatten", "spatten", {"topk": {"parallelism": 4}}, {}, timing=timing)
    config = point_config(record.hardware.model_dump(), record.policy.model_dump(), record.workload)
    assert set(config) <= set(t.columns) and len(config) > 60
    row = t[t["hw.topk.parallelism"] == 4].iloc[0]
    assert row["point_id"] == point_id(config)
    assert row["hw.qk.multipliers"] == 512 and row["policy.values"] == 0.2 and row["workload.timing"] == timing
    assert row["workload.sha256"] == config["workload.sha256"] != ""
    # so the sweep's report draws compute roofs and lists the configuration its points share
    page, _ = render(load_results(tmp_path / "out"))
    assert "bandwidth and compute roofs" in page
    assert f"Configuration shared by all points ({len(config) - 1} fields)" in page


def test_a_sweep_keeps_what_the_caller_froze(write_sweep, tmp_path):
    # the sweep freezes its points out of the cyclic collections while it runs and unfreezes them after,
    # unless the caller had frozen objects of its own: those stay frozen
    gc.freeze()
    try:
        out = run_sweep(write_sweep(axes={"hw.qk.multipliers": [128, 256]}), tmp_path / "out")
        assert out.ran == 2 and gc.get_freeze_count() > 0  # unfrozen, it is 0
    finally:
        gc.unfreeze()
