"""The WorkPlan's tables: numpy columns (``Table``) that phase 2 reads, and the DataFrames built from them."""

import dataclasses
import pickle

import numpy as np
import pandas as pd
import pytest

from accelsim.trace.spatten_csv import read_spatten_csv
from accelsim.workplan import REQUEST_COLUMNS, REQUEST_DEFAULTS, TOPK_COLUMNS, Table, WorkPlan
from tests.conftest import CSV_PRUNED


@pytest.fixture(scope="module")
def plan():
    return read_spatten_csv(CSV_PRUNED)


def test_table_columns_share_one_length():
    t = Table({"a": [1, 2, 3], "b": np.zeros(3)})
    assert len(t) == 3 and list(t) == ["a", "b"] and t["a"].tolist() == [1, 2, 3]
    assert len(Table({})) == 0
    with pytest.raises(ValueError, match=r"^Table columns differ in length: \[2, 3\]$"):
        Table({"a": [1, 2, 3], "b": [1, 2]})


def test_requests_frame_is_the_table(plan):
    frame = plan.requests
    assert list(frame.columns) == list(REQUEST_COLUMNS)
    assert frame.dtypes.astype(str).to_dict() == REQUEST_COLUMNS
    for col in REQUEST_COLUMNS:
        np.testing.assert_array_equal(frame[col].to_numpy(), plan.req_table[col])
    assert plan.requests is frame  # built once
    assert plan.topk.dtypes.astype(str).to_dict() == TOPK_COLUMNS and len(plan.topk) == len(plan.topk_table)


def test_a_frame_or_columns_make_the_same_plan(plan):
    cols = {c: plan.req_table[c] for c in REQUEST_COLUMNS if c not in REQUEST_DEFAULTS}  # defaults filled in
    from_cols = WorkPlan(cols, dict(plan.topk_table), plan.pass_sizes, plan.meta)
    from_frame = WorkPlan(plan.requests, plan.topk, plan.pass_sizes, plan.meta)
    for other in (from_cols, from_frame):
        pd.testing.assert_frame_equal(other.requests, plan.requests)
        pd.testing.assert_frame_equal(other.topk, plan.topk)
    with pytest.raises(ValueError, match=r"^WorkPlan.requests lacks columns \['keys'\]$"):
        WorkPlan({c: v for c, v in cols.items() if c != "keys"}, plan.topk_table, plan.pass_sizes)


def test_setting_a_table_drops_its_frame(plan):
    copy = dataclasses.replace(plan)
    first = copy.requests
    copy.requests = first.assign(keys=first["keys"] + 1)
    assert copy.req_table["keys"].tolist() == (plan.req_table["keys"] + 1).tolist()
    assert copy.requests["keys"].tolist() == copy.req_table["keys"].tolist()


def test_pickles_without_its_frames(plan):
    plan.requests  # noqa: B018 (builds the frame)
    back = pickle.loads(pickle.dumps(plan))
    assert "_requests_frame" not in back.__dict__
    pd.testing.assert_frame_equal(back.requests, plan.requests)
    assert back.meta == plan.meta and np.array_equal(back.pass_sizes, plan.pass_sizes)
