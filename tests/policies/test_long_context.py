"""Phase 1 at long contexts: planning walks the prompt a block of queries at a time, so the blocks
must add up to the whole, and no [T, T] array may be built on the way."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from accelsim.config import load_policy
from accelsim.policies import common, make_plan
from accelsim.policies.a3 import A3Policy
from accelsim.policies.spatten import SpAttenPolicy
from accelsim.trace import stats
from accelsim.trace.format import Trace
from accelsim.trace.synthetic import synthetic_trace

pytestmark = pytest.mark.smoke

EVERY_POLICY = [
    "spatten",
    "dense",
    "h2o",
    "streaming",
    "snapkv",
    "duo",
    "recycled",
    "zipcache",
    "oracle",
    "a2ats",
    "mnnfast",
    "a3",
]


def plans(trace: Trace, phases: str) -> dict[str, object]:
    """Every policy's plan, and SpAtten's with value pruning in the prefill, on ``trace``."""
    out = {name: make_plan(load_policy(name), trace, phases=phases) for name in EVERY_POLICY}
    out["spatten-prefill-values"] = make_plan(SpAttenPolicy(values_in_prefill=True), trace, phases=phases)
    out["a3-short-search"] = make_plan(A3Policy(iterations=0.2), trace, phases=phases)
    return out


def assert_same_plan(a, b) -> None:
    pd.testing.assert_frame_equal(a.requests, b.requests, check_exact=False, rtol=1e-5, atol=1e-7)
    pd.testing.assert_frame_equal(a.topk, b.topk)
    assert np.array_equal(a.pass_sizes, b.pass_sizes)
    for kind in ("key_index", "value_index", "query_rows"):
        x, y = getattr(a, kind), getattr(b, kind)
        assert (x is None) == (y is None) and (x is None or np.array_equal(x, y)), kind


@pytest.mark.parametrize("phases", ["both", "decode"])
def test_blocks_of_one_query_plan_as_one_block(monkeypatch, phases):
    # 3 layers (SpAtten prunes from the second), GQA, a prompt and decode steps: first every prompt
    # query in one block, then one query per block; the plans agree to float32 rounding
    trace = synthetic_trace(layers=3, heads=4, kv_heads=2, head_dim=16, prompt_len=40, decode_steps=3, seed=7)
    whole = plans(trace, phases)
    monkeypatch.setattr(stats, "BLOCK_SCORES", 1)
    assert common.block_rows(4 * 40) == 1
    for name, plan in plans(trace, phases).items():
        assert_same_plan(whole[name], plan)


def test_masked_prefill_in_blocks(monkeypatch):
    # a sliding-window mask hides keys far behind each query: no block may skip it
    trace = synthetic_trace(layers=2, heads=2, head_dim=16, prompt_len=32, decode_steps=2, seed=4)
    t, s, window = 32, 2, 6
    i, j = np.arange(t)[:, None], np.arange(t + s)[None, :]
    tensors = dict(trace.tensors)
    for layer in range(2):
        tensors[f"layers.{layer}.prefill.mask"] = ((j[:, :t] <= i) & (j[:, :t] > i - window)).astype(np.uint8)
        tensors[f"layers.{layer}.decode.mask"] = (j <= t + np.arange(s)[:, None]).astype(np.uint8)
    masked = Trace(trace.meta.model_copy(update={"masked": True}), tensors)
    whole = {name: make_plan(load_policy(name), masked) for name in ("spatten", "dense", "mnnfast")}
    monkeypatch.setattr(stats, "BLOCK_SCORES", 5)
    for name, plan in whole.items():
        assert_same_plan(plan, make_plan(load_policy(name), masked))
    # the window shows: a prompt query scores at most `window` keys
    r = whole["dense"].requests
    assert r.loc[r["prefill"], "qk_rows"].iat[0] == sum(min(q + 1, window) for q in range(t))


@pytest.mark.parametrize("name", ["spatten", "h2o", "streaming", "snapkv", "zipcache"])
def test_a_long_prompt_never_builds_a_prompt_square(monkeypatch, name):
    # T = 2048 with tiny heads: one head's [T, T] float32 is 16 MiB; planning in blocks of 2^14
    # scores stays far under a quarter of that
    t = 2048
    trace = synthetic_trace(layers=2, heads=2, head_dim=8, prompt_len=t, decode_steps=2, seed=1)
    monkeypatch.setattr(stats, "BLOCK_SCORES", 1 << 14)
    policy = load_policy(name)  # outside the count: reading a config file buffers up to 256 MiB
    tracemalloc.start()
    try:
        plan = make_plan(policy, trace, phases="decode")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(plan.requests) == 2 * 2 * 2
    assert peak < t * t * 4 // 4, f"peak {peak / 2**20:.1f} MiB"
