"""A²ATS: VQ-estimated scores choose the rows; exact attention on the KV group's union."""

import numpy as np
import pytest

from accelsim.policies import make_plan
from accelsim.policies.a2ats import A2ATSPolicy, kmeans
from accelsim.policies.oracle import OraclePolicy
from tests.policies.traces import probs, scalar_trace

# Distinct prompt keys; decode keys equal prompt keys, so a codebook with one entry per prompt key
# estimates every score exactly.
PROMPT = np.array([4.0, -1.0, 2.0, 0.5, -2.0, 3.0, 0.0, 1.0, 2.5, -3.0, 3.5, 1.5, 0.2, -0.4, 1.2, -0.7])
KEYS = np.r_[PROMPT, [2.0, -1.0, 3.5, 0.0]]


def decode(plan):
    return plan.requests[~plan.requests.prefill].reset_index(drop=True)


def test_exact_codebook_selects_like_the_oracle():
    trace = scalar_trace(KEYS, 16)
    a = decode(make_plan(A2ATSPolicy(budget=0.25, sink=0, window=0, codebook=16), trace))
    o = decode(make_plan(OraclePolicy(budget=0.25), trace))
    assert a["mass_recall"].to_numpy() == pytest.approx(o["mass_recall"].to_numpy())
    assert (a["topk_recall"] == 1.0).all()
    # K and V only for the selection; the estimate needs the 16-entry LUT per step
    assert (a["keys"] == o["values"]).all() and (a["qk_rows"] == a["pv_rows"] + 16).all()


def test_side_traffic_ids_and_codebook():
    trace = scalar_trace(KEYS, 16)
    r = decode(make_plan(A2ATSPolicy(codebook=8, sink=1, window=2), trace))
    # 8 entries: 3-bit ids for every row, plus the codebook (8 x 1 x 12 bits) each step
    assert r["side_bytes"].tolist() == pytest.approx([(17 + s) * 3 / 8 + 8 * 12 / 8 for s in range(4)])
    r = decode(make_plan(A2ATSPolicy(codebook=8, sink=1, window=2, codebook_in_sram=True), trace))
    assert r["side_bytes"].tolist() == pytest.approx([(17 + s) * 3 / 8 for s in range(4)])


def test_sink_and_window_always_kept():
    trace = scalar_trace(KEYS, 16)
    r = decode(make_plan(A2ATSPolicy(topk=0.0, sink=1, window=2, codebook=16), trace))
    for s, row in r.iterrows():
        n = 17 + s
        assert row["keys"] == 3
        assert row["mass_recall"] == pytest.approx(probs(KEYS, n)[[0, n - 2, n - 1]].sum())


def test_union_over_the_kv_group():
    # two query heads share one KV head; opposite queries pick opposite rows, both attend the union
    queries = np.stack([np.ones(20), -np.ones(20)])
    trace = scalar_trace(KEYS[None], 16, queries=queries, group=2)
    r = decode(make_plan(A2ATSPolicy(budget=0.1, sink=0, window=0, codebook=16), trace))
    first = r[r["head"] == 0]
    assert (first["keys"] == 2 * np.round(0.1 * first["context"])).all()
    assert (r["pv_rows"] == r.groupby("step")["pv_rows"].transform("max")).all()


def test_kmeans_finds_two_clusters():
    x = np.r_[np.full((5, 2), [0.0, 0.0]), np.full((5, 2), [10.0, 10.0])] + 0.01 * np.arange(10)[:, None]
    c = kmeans(x, 2, 5, np.random.default_rng(0))
    assert sorted(np.round(c[:, 0]).tolist()) == [0.0, 10.0]
