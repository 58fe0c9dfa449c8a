"""The batched fast path (``FastModel.run_many``, ``api.simulate_fast_many``) gives, bit for bit, what
timing each point alone gives, and what the per-point path gave before batching: ``data/fast_main.json``
holds every result field of a small grid as main computed them (commit 317b1cf; regenerate with
``python tests/sim/test_fast_many.py`` only where a change is meant to move them).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from accelsim import api
from accelsim.config import load_hardware
from accelsim.errors import InputError
from accelsim.policies.spatten import SpAttenPolicy
from accelsim.sim.fast import FastModel
from accelsim.trace.spatten_csv import read_spatten_csv
from accelsim.trace.synthetic import synthetic_trace
from tests.conftest import CSV_PRUNED

pytestmark = pytest.mark.smoke  # part of the quick check: pytest -m smoke

STORED = Path(__file__).parent / "data" / "fast_main.json"
# points that move every column the kernel reads: DRAM, QxK and softmax, ProbxV, buffer shapes, the
# top-k engines (count 1: one engine takes every job; 3: odd), jobs in flight, clock, and one point
# that cannot run (no top-k engine for a pruned plan) between them
GRID = [
    {},
    {"topk": {"count": 1}},
    {"topk": {"count": 0}},
    {"topk": {"count": 3, "jobs_in_flight": 1, "parallelism": 64}},
    {"sram": {"key_kb": 98}, "dram": {"channels": 4, "outstanding": 2}},
    {"sram": {"key_kb": 392, "value_kb": 20}, "topk": {"count": 4}},
    {"qk": {"multipliers": 128}, "softmax": {"parallelism": 4}, "pv": {"multipliers": 64}},
    {"clock_ghz": 0.5, "fetcher": {"ports": 4}, "dram": {"channels": 32}},
]


def plans() -> dict:
    short = synthetic_trace(layers=2, heads=8, head_dim=64, prompt_len=16, decode_steps=4, seed=3)
    return {"gpt2": read_spatten_csv(CSV_PRUNED), "short": api.plan(SpAttenPolicy(), short)}


@pytest.fixture(scope="module")
def models():
    return {name: FastModel(plan) for name, plan in plans().items()}


def rows(results: list) -> list[dict]:
    return [{"error": r.message} if isinstance(r, InputError) else r.flat() for r in results]


def same(a: object, b: object) -> bool:
    """Equal, NaN included, bit for bit for floats."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


@pytest.mark.parametrize("name", ["gpt2", "short"])
def test_batch_is_each_point_alone(models, name):
    hws = [load_hardware("spatten", over) for over in GRID]
    batch = rows(api.simulate_fast_many(hws, models[name]))
    alone = []
    for hw in reversed(hws):  # another order, each point in a kernel call of its own, with a fresh model
        try:
            alone.append(api.simulate_fast(hw, FastModel(models[name].plan)).flat())
        except InputError as err:
            alone.append({"error": err.message})
    assert batch == alone[::-1]
    assert batch[2] == {"error": batch[2]["error"]} and "no top-k engine" in batch[2]["error"]


@pytest.mark.parametrize("name", ["gpt2", "short"])
def test_batch_matches_main(models, name):
    stored = json.loads(STORED.read_text())[name]
    got = rows(api.simulate_fast_many([load_hardware("spatten", over) for over in GRID], models[name]))
    assert len(got) == len(stored)
    for over, want, row in zip(GRID, stored, got, strict=True):
        assert row.keys() == want.keys(), over
        wrong = {k: (row[k], want[k]) for k in want if not same(row[k], want[k])}
        # the quality proxies are phase 1's, computed in float32 blocks since they were stored (within 1e-6)
        wrong = {k: v for k, v in wrong.items() if not (k.startswith("quality_") and math.isclose(*v, rel_tol=1e-6))}
        assert not wrong, (over, wrong)


def test_tables_start_afresh(monkeypatch, models):
    # past ROWS_KEPT rows the model drops its tables after a batch: results stay, old points are refused
    model = FastModel(models["short"].plan)
    monkeypatch.setattr(FastModel, "ROWS_KEPT", 0)
    hws = [load_hardware("spatten", over) for over in GRID if over != {"topk": {"count": 0}}]
    first = rows(api.simulate_fast_many(hws, model))
    stale = model.prepare(hws[0])
    model.run_many([model.prepare(hws[1])])
    with pytest.raises(ValueError, match=r"^a point was prepared before the model's tables started afresh"):
        model.run_many([stale])
    assert rows(api.simulate_fast_many(hws, model)) == first == rows(api.simulate_fast_many(hws, models["short"]))


def test_empty_batch(models):
    assert api.simulate_fast_many([], models["short"]) == []


if __name__ == "__main__":  # regenerate the stored results
    hws = [load_hardware("spatten", over) for over in GRID]
    out = {}
    for name, plan in plans().items():
        model = FastModel(plan)
        res = []
        for hw in hws:
            try:
                res.append(api.simulate_fast(hw, model))
            except InputError as err:
                res.append(err)
        out[name] = rows(res)
    STORED.write_text(json.dumps(out, indent=1) + "\n")
