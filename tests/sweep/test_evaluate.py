"""A sweep's rows (chunks timed together in worker processes, returned and stored as columns) hold,
bit for bit, what timing each point alone with ``api.simulate_fast`` gives."""

import json
import math

import pytest

from accelsim import api
from accelsim.config import policy_adapter
from accelsim.sim.fast import FastModel
from accelsim.sweep import get_executor, run_sweep
from accelsim.sweep.points import Resolver, hardware, resolve_listed
from accelsim.sweep.spec import load_sweep

# 4 x 4 x 4 x 2 x 2 = 256 points: every axis moves a column the kernel or the cost model reads, and
# one multiplier count the hardware model refuses (an infeasible row among the chunks' columns)
AXES = {
    "hw.dram.channels": [1, 2, 8, 32],
    "hw.topk.parallelism": [2, 4, 16, 64],
    "hw.qk.multipliers": [64, 128, 384, 512],  # 512: the qk block equals the pv block
    "hw.softmax.parallelism": [2, 16],
    "hw.sram.key_kb": [98, 196],
}


def same(a: object, b: object) -> bool:
    """Equal, NaN included, bit for bit for floats."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def test_sweep_rows_equal_per_point_simulate_fast(write_sweep, tmp_path):
    path = write_sweep(axes=AXES, constraints=["area_mm2 <= 20"])
    with get_executor("local", jobs=2) as ex:
        out = run_sweep(path, tmp_path / "out", executor=ex)
    table = out.table.set_index("point_id")
    sweep = load_sweep(path)
    resolver = Resolver(sweep, path)
    points = resolve_listed(sweep, resolver)
    assert len(points) == len(table) == 256
    key = next(p.plan for p in points if p.plan is not None)  # one plan: the axes are hardware-only
    engine = api.engine_from_key(key.topk)
    policy = policy_adapter().validate_python(json.loads(key.policy))
    wl = api.load_workload(key.workload, seed=key.seed, engine=engine)
    model = FastModel(api.plan(policy, wl, phases=key.phases, engine=engine))
    checked = 0
    for p in points:
        row = table.loc[p.point_id]
        assert all(same(row[k], v) for k, v in p.config.items())  # its config columns
        if p.error:
            assert row["status"] == "infeasible" and row["error"] == p.error
            continue
        flat = api.simulate_fast(hardware(p.hw), model, workload=p.labels["workload"]).flat()
        for col in ("hardware", "policy", "workload"):
            assert row[col] == flat.pop(col)
        assert row["status"] == ("ok" if flat["area_mm2"] <= 20 else "infeasible")
        wrong = {k: (row[k], v) for k, v in flat.items() if not same(row[k] if v is not None else None, v)}
        assert not wrong, f"point {p.index}: {wrong}"
        checked += 1
    assert checked == 192  # the 64 points with 384 multipliers cannot be built
    assert 0 < (table["status"] == "ok").sum() < checked  # the constraint splits them


@pytest.mark.parametrize("jobs", [1, 2])
def test_rows_do_not_depend_on_chunks_or_workers(write_sweep, tmp_path, jobs):
    # one point per part file, and every point of one chunk in the same process: the same table
    path = write_sweep(axes={k: v[:2] for k, v in AXES.items()})
    with get_executor("local", jobs=jobs) as ex:
        many = run_sweep(path, tmp_path / "many", executor=ex, flush_rows=1).table.drop(columns="wall_s")
    with get_executor("local", jobs=1) as ex:
        one = run_sweep(path, tmp_path / "one", executor=ex).table.drop(columns="wall_s")
    assert many.equals(one)
