"""Plans made from tensors record which token rows each request fetches, and the bank-aware DRAM
model reads exactly those rows' addresses."""

import dataclasses

import numpy as np
import pytest

from accelsim import api
from accelsim.config import load_hardware, load_policy
from accelsim.hw.kv_layout import KVLayout
from accelsim.sim.dram_bank import fetch_addresses
from accelsim.sim.items import build_items, job_cycles, topk_engine
from accelsim.trace.synthetic import synthetic_trace
from accelsim.workplan import WorkPlan
from tests.conftest import CSV_PRUNED


@pytest.fixture(scope="module")
def trace():
    return synthetic_trace(layers=2, heads=4, kv_heads=2, head_dim=16, prompt_len=64, decode_steps=4, seed=5)


def test_streaming_rows_are_sink_and_window(trace):
    wp = api.plan(load_policy("streaming", {"sink": 4, "recent": 10}), trace, phases="decode")
    idx, start = wp.rows_of("keys")
    r = wp.requests
    for q in np.flatnonzero(r["keys"].to_numpy()):
        n = r["context"][q]
        rows = idx[start[q]: start[q] + r["keys"][q]]
        assert rows.tolist() == [*range(4), *range(n - 10, n)]
    assert (wp.value_index == wp.key_index).all()


def test_spatten_rows_shrink_with_pruning(trace):
    wp = api.plan(load_policy("spatten"), trace)
    r = wp.requests
    for kind in ("keys", "values"):
        idx, start = wp.rows_of(kind)
        for q in range(len(r)):
            rows = idx[start[q]: start[q] + r[kind][q]]
            assert (np.diff(rows) > 0).all() and (rows < r["context"][q]).all()
    # values are a subset of the same request's keys (local value pruning)
    k, ks = wp.rows_of("keys")
    v, vs = wp.rows_of("values")
    q = int(np.argmax(r["keys"].to_numpy() * ~r["prefill"].to_numpy()))
    assert set(v[vs[q]: vs[q] + r["values"][q]]) <= set(k[ks[q]: ks[q] + r["keys"][q]])


def test_request_traces_know_only_counts():
    assert api.load_workload(CSV_PRUNED).rows_of("keys") is None


def test_index_length_must_match_counts(trace):
    wp = api.plan(load_policy("streaming"), trace)
    with pytest.raises(ValueError, match="key_index holds"):
        WorkPlan(wp.requests, wp.topk, wp.pass_sizes, wp.meta, key_index=wp.key_index[:-1])


def test_bank_model_reads_the_kept_rows(trace):
    hw = load_hardware("spatten", {"dram": {"model": "bank"}})
    wp = api.plan(load_policy("streaming", {"sink": 4, "recent": 10}), trace, phases="decode")
    items = build_items(wp, hw, job_cycles(wp, topk_engine(hw), hw.topk.jobs_in_flight))
    addr, lengths, slots = fetch_addresses(wp, items, 32)
    r = wp.requests
    layout = KVLayout(layers=2, heads=4, max_tokens=int(r["context"].max()), d=16,
                      key_msb_bits=int(r["key_bits"].max()), key_lsb_bits=0,
                      value_bits=int(r["value_bits"].max()), align=32)
    key, i = slots[0]
    q = int(items["request"].iloc[i])
    n = int(r["context"][q])
    want = layout.accesses("key_msb" if key == "k" else "value", int(r["layer"][q]), int(r["head"][q]),
                           np.r_[np.arange(4), np.arange(n - 10, n)], 32)
    assert addr[: lengths[0]].tolist() == want.tolist()
    # a plan that forgets its rows falls back to a seeded scattered choice: other addresses
    blind = dataclasses.replace(wp, key_index=None, value_index=None)
    blind_addr, blind_len, _ = fetch_addresses(blind, items, 32)
    # scattered rows share fewer 32-byte accesses than the contiguous window's
    assert blind_len[0] > lengths[0] and blind_addr[: blind_len[0]].tolist() != want.tolist()
