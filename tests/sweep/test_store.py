"""Rows as columns (``store.Rows``): the table they make is the one ``pd.DataFrame`` makes of the
same rows as dicts, column order, dtypes and missing values included."""

import math

import pandas as pd
import pytest

from accelsim.rows import Rows

# an ok row, then rows with fewer or other columns: pandas fills NaN and orders columns by first appearance
ROWS = [
    {"point_id": "a", "point_index": 0, "cycles": 1.5, "requests": 7, "fpga": None, "flag": True, "status": "ok"},
    {"point_id": "b", "point_index": 1, "status": "infeasible", "error": "why"},
    {"point_id": "c", "point_index": 2, "cycles": 2.0, "requests": 8, "fpga": 3.0, "flag": False, "status": "ok"},
]


@pytest.mark.parametrize("rows", [ROWS, ROWS[:1], [ROWS[0], ROWS[2]], ROWS[1:2], ROWS[::-1]])
def test_frame_is_pandas_frame_of_the_dicts(rows):
    pd.testing.assert_frame_equal(Rows.of(rows).frame(), pd.DataFrame(rows), check_exact=True)


@pytest.mark.parametrize("cut", [1, 2])
def test_concat_is_one_frame_of_all_rows(cut):
    joined = Rows.concat([Rows.of(ROWS[:cut]), Rows.of([]), Rows.of(ROWS[cut:])])
    assert joined.size == 3
    pd.testing.assert_frame_equal(joined.frame(), pd.DataFrame(ROWS), check_exact=True)


def test_beside_is_each_row_merged():
    # as {**config, **row}: the row's value wins, at the config's place
    config = [{"hw.x": i, "point_id": "config's"} for i in range(3)]
    merged = Rows.of(config).beside(Rows.of(ROWS))
    expected = pd.DataFrame([{**c, **r} for c, r in zip(config, ROWS, strict=True)])
    pd.testing.assert_frame_equal(merged.frame(), expected, check_exact=True)
    assert merged.records()[1]["point_id"] == "b" and math.isnan(merged.records()[1]["cycles"])
