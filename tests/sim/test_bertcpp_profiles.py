"""bert.cpp's input.csv: profiles from a WorkPlan, written and read back; bad files."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from accelsim import api
from accelsim.config import load_policy
from accelsim.errors import InputError
from accelsim.sim.bertcpp_profiles import INPUT_COLUMNS, profiles_from_plan, read_input_csv, write_input_csv
from accelsim.trace.synthetic import synthetic_trace
from tests.conftest import CSV_PRUNED

GOLDEN = Path(__file__).parent / "data" / "bertcpp"
HEADER = ",".join(INPUT_COLUMNS)
GOOD = "0,0,64,10,20,6,6,16,0.05,False,4,0,True,False,-1"
ODD = "0,3,64.0,10,20,6,12,16,0.05,True,4,1,True,True,5"  # D as 64.0, unused columns filled in


@pytest.fixture(scope="module")
def prefill_plan():
    trace = synthetic_trace(layers=4, heads=4, head_dim=64, prompt_len=64, decode_steps=0, causal=False, seed=3)
    return api.plan(load_policy("spatten"), trace, phases="prefill")


def test_profiles_of_a_prefill_plan(prefill_plan):
    p = profiles_from_plan(prefill_plan)
    r = prefill_plan.requests
    assert p["layer_id"].tolist() == r["layer"].tolist()  # one step: bert.cpp layers are the model's layers
    assert (p["length"] == r["queries"]).all() and (p["fetch"] == r["keys"]).all()
    token = prefill_plan.topk[prefill_plan.topk["kind"] == 1]
    assert p.index[p["topk"]].tolist() == token["request"].tolist()
    assert p.loc[p["topk"], "topk_k"].tolist() == token["k"].tolist()


def test_profiles_of_a_decode_trace():
    p = profiles_from_plan(api.load_workload(CSV_PRUNED))
    # 32 decode steps x 12 layers: each (step, layer) is one bert.cpp layer, numbered from 0
    assert p["layer_id"].iat[0] == 0 and p["layer_id"].nunique() == 384
    assert (p["layer_id"] == p["step"] * 12 + p["layer"]).all()
    assert int(p["topk"].sum()) == 124  # the trace's if_topk rows
    assert (p["length"] == 1).all()


def test_round_trip(tmp_path, prefill_plan):
    p = profiles_from_plan(prefill_plan)
    write_input_csv(p, tmp_path / "input.csv")
    assert pd.read_csv(tmp_path / "input.csv").columns.tolist() == [*INPUT_COLUMNS, "step", "layer"]
    pd.testing.assert_frame_equal(read_input_csv(tmp_path / "input.csv"), p)


def test_golden_inputs_read_back_to_what_was_written(tmp_path):
    p = read_input_csv(GOLDEN / "bert-L128-k6v6.csv")
    write_input_csv(p, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_text() == (GOLDEN / "bert-L128-k6v6.csv").read_text()


def test_read_as_bert_cpp_reads(tmp_path):
    # columns in another order plus an extra one, D written as 64.0, a footer line that ends the rows
    cols = [*reversed(INPUT_COLUMNS), "note"]
    row = dict(zip(INPUT_COLUMNS, ODD.split(","), strict=True))
    lines = [",".join(cols), ",".join([*(row[c] for c in reversed(INPUT_COLUMNS)), "x"]),
             ",".join(["config.yml"] * len(cols)), ",".join([*(row[c] for c in reversed(INPUT_COLUMNS)), "y"])]
    (tmp_path / "input.csv").write_text("\n".join(lines) + "\n")
    p = read_input_csv(tmp_path / "input.csv")
    assert len(p) == 1
    assert p.iloc[0][["head_id", "d", "length", "fetch", "key_bits", "value_bits", "topk", "topk_k"]].tolist() == \
        [3, 64, 10, 20, 6, 12, True, 5]


def good_row(**over: str) -> str:
    row = dict(zip(INPUT_COLUMNS, GOOD.split(","), strict=True))
    return ",".join({**row, **over}.values())


@pytest.mark.parametrize(("text", "pattern"), [
    (HEADER.removesuffix(",topk") + ",top_k\n" + good_row(), r"field 'topk': missing column; bert\.cpp's input\.csv"),
    (HEADER + "\n" + good_row(embedding_length_D="sixty"), r"field 'embedding_length_D': line 2: expected an integer"),
    (HEADER + "\n" + good_row(key_value_query_fetch_num="2.5"), r"field 'key_value_query_fetch_num': line 2: "),
    (HEADER + "\n" + good_row(quant_key_bit="-4"), r"field 'quant_key_bit': line 2: expected a non-negative"),
    (HEADER + "\n" + good_row(embedding_length_D="0"), r"field 'embedding_length_D': line 2: expected a positive"),
    (HEADER + "\n" + good_row(if_topk="yes"), r"field 'if_topk': line 2: expected True or False, got 'yes'"),
    (HEADER + "\n" + good_row(if_topk="True", topk="0"), r"field 'topk': line 2: a top-k row must keep at least"),
    (HEADER + "\n" + good_row(layer_id="1"), r"field 'layer_id': line 2: the first layer must be 0"),
    (HEADER + "\n", r"field 'layer_id': no profile rows"),
    ("", r"not a readable CSV"),
], ids=["column", "text", "fraction", "negative", "zero-d", "flag", "k0", "first-layer", "no-rows", "empty"])
def test_bad_files(tmp_path, text, pattern):
    (tmp_path / "input.csv").write_text(text)
    with pytest.raises(InputError, match=r"^" + re.escape(str(tmp_path / "input.csv")) + ": " + pattern):
        read_input_csv(tmp_path / "input.csv")


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv: file does not exist$"):
        read_input_csv(tmp_path / "nope.csv")
