"""Shared policy machinery: exact top-k, proxies, pooling, windows, WorkPlan columns and bytes."""

import numpy as np
import pandas as pd
import pytest

from accelsim import api
from accelsim.config import load_hardware
from accelsim.policies.common import exact_topk, output_error, pool1d, topk_recall, window_mask
from accelsim.policies.spatten import DensePolicy, SpAttenPolicy
from accelsim.workplan import REQUEST_COLUMNS, REQUEST_DEFAULTS, WorkPlan, empty_frame


def test_exact_topk_ties_and_nan():
    s = np.array([[3.0, np.nan, 3.0, 1.0, 5.0]])
    assert exact_topk(s, 2).tolist() == [[True, False, False, False, True]]  # tie: earliest wins
    assert exact_topk(s, 9).tolist() == [[True, False, True, True, True]]  # NaN never kept
    assert not exact_topk(s, 0).any()


def test_topk_recall():
    p = np.array([[0.5, 0.3, 0.1, 0.1]])
    assert topk_recall(p, np.array([[True, True, False, False]])) == 1.0
    assert topk_recall(p, np.array([[True, False, True, False]])) == 0.5
    assert topk_recall(p, np.zeros((1, 4), bool)) == 1.0


def test_output_error_identity():
    # o - o_S = (1 - R)(mu_tail - o_S): with two rows of values 1 and -1 and p = (0.75, 0.25),
    # o = 0.5; keeping row 0 gives o_S = 1, so e = 0.5 / 0.5 = 1.
    p = np.array([[0.75, 0.25]])
    v = np.array([[[1.0], [-1.0]]])
    o = np.einsum("hn,hnd->hd", p, v)
    assert output_error(p, np.array([[True, False]]), v, o) == pytest.approx([1.0])
    assert output_error(p, np.array([[True, True]]), v, o) == pytest.approx([0.0])


def test_pool1d_matches_torch_conventions():
    x = np.array([[1.0, 0.0, 0.0, 4.0]])
    # avg_pool1d(kernel 3, stride 1, padding 1, count_include_pad=True)
    assert pool1d(x, 3, "avg")[0] == pytest.approx([1 / 3, 1 / 3, 4 / 3, 4 / 3])
    assert pool1d(x, 3, "max").tolist() == [[1.0, 1.0, 4.0, 4.0]]
    assert pool1d(x, 1, "max").tolist() == x.tolist()


def test_window_mask():
    m = window_mask(np.array([6, 10]), 10, 2, 3)
    assert np.flatnonzero(m[0]).tolist() == [0, 1, 3, 4, 5]
    assert np.flatnonzero(m[1]).tolist() == [0, 1, 7, 8, 9]


def _plan(**cols) -> WorkPlan:
    base = {c: v for c, v in empty_frame(REQUEST_COLUMNS, 1).iloc[0].items() if c not in REQUEST_DEFAULTS}
    base |= {"d": 64, "keys": 10, "key_bits": 4, "values": 8, "value_bits": 4, "context": 10, "queries": 1,
             "qk_rows": 10, "pv_rows": 8}
    return WorkPlan(pd.DataFrame([base | cols]), empty_frame({"request": "int64", "kind": "int8", "n": "int32",
                    "k": "int32", "pass_start": "int64", "pass_count": "int32"}), np.zeros(0))


def test_workplan_fills_defaulted_columns():
    r = _plan().requests
    assert list(r.columns) == list(REQUEST_COLUMNS)
    assert r["side_bytes"].iat[0] == 0 and r["lo_keys"].iat[0] == 0 and np.isnan(r["topk_recall"].iat[0])


def test_dram_bytes_with_low_precision_rows_and_side_bytes():
    wp = _plan(lo_keys=4, lo_values=2, lo_bits=2, side_bytes=100.0)
    b = wp.dram_bytes()
    assert b["key"] == 64 * (6 * 4 + 4 * 2) / 8
    assert b["value"] == 64 * (6 * 4 + 2 * 2) / 8
    assert b["side"] == 100.0
    res, _ = api.simulate(load_hardware("spatten"), wp)
    assert res.dram_bytes == pytest.approx(sum(b.values()))
    assert res.dram_bytes_by["side"] == 100.0
    assert res.dram_bytes_by["key"] == pytest.approx(b["key"])


def test_rows_per_query(small_trace):
    # policies record each prefill query's scored rows; a request trace spreads them evenly
    for cfg in (DensePolicy(), SpAttenPolicy()):
        wp = api.plan(cfg, small_trace)
        r = wp.requests
        per = wp.rows_per_query()
        assert len(per) == r["queries"].sum()
        assert np.add.reduceat(per, np.cumsum(r["queries"]) - r["queries"]).tolist() == r["qk_rows"].tolist()
    wp = _plan(queries=3, qk_rows=8)
    assert wp.rows_per_query().tolist() == [3, 3, 2]
    with pytest.raises(ValueError, match="query_rows holds 2 queries"):
        WorkPlan(wp.requests, wp.topk, wp.pass_sizes, query_rows=np.array([4, 4]))
