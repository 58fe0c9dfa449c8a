import pandas as pd
import pytest

from accelsim.errors import InputError
from accelsim.trace.spatten_csv import read_spatten_csv
from tests.conftest import CSV_DENSE, CSV_PRUNED

pytestmark = pytest.mark.smoke  # part of the quick check: pytest -m smoke


def test_gpt2_small_pruned_bytes():
    wp = read_spatten_csv(CSV_PRUNED)
    assert len(wp) == 4608
    b = wp.dram_bytes()
    # trace arithmetic: keys x 64 x (6 + 4 if refetched)/8 + values x 64 x 6/8 = 82.43 MB
    assert sum(b.values()) == pytest.approx(82.428256e6)
    assert wp.requests["lsb_queries"].mean() == pytest.approx(0.0701, abs=1e-3)
    r = wp.requests
    assert r["context"].sum() / r["keys"].sum() == pytest.approx(3.62, abs=0.01)
    assert r["context"].sum() / r["values"].sum() == pytest.approx(18.2, abs=0.05)
    assert wp.meta["authors_config"].startswith("configs/gpt2/wikitext2/")


def test_gpt2_small_dense_replays_12_bit():
    wp = read_spatten_csv(CSV_DENSE)
    assert (wp.requests["key_bits"] == 12).all()
    assert sum(wp.dram_bytes().values()) == pytest.approx(892.256256e6)
    assert len(wp.topk) == 0


def test_topk_jobs_from_csv():
    wp = read_spatten_csv(CSV_PRUNED, seed=1)
    kinds = wp.topk["kind"].value_counts()
    assert kinds[0] == 4608 - 0  # every row fetches fewer values than keys
    assert kinds[1] == 124  # if_topk rows
    assert (wp.pass_sizes[wp.topk["pass_start"]] == wp.topk["n"]).all()


def test_missing_column(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text(CSV_PRUNED.read_text().replace("value_fetch_num", "vfn"))
    with pytest.raises(InputError, match=r"t\.csv: field 'value_fetch_num': missing column"):
        read_spatten_csv(p)


def test_bad_values(tmp_path):
    lines = CSV_PRUNED.read_text().splitlines()
    cells = lines[5].split(",")
    cells[5] = "lots"
    p = tmp_path / "t.csv"
    p.write_text("\n".join([*lines[:5], ",".join(cells), *lines[6:]]))
    with pytest.raises(InputError, match=r"field 'key_fetch_num': line 6: expected a number, got 'lots'"):
        read_spatten_csv(p)
    cells = lines[5].split(",")
    cells[9] = "maybe"
    p.write_text("\n".join([*lines[:5], ",".join(cells), *lines[6:]]))
    with pytest.raises(InputError, match=r"field 'if_requant': line 6: expected True or False"):
        read_spatten_csv(p)


def test_empty_and_missing(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text(CSV_PRUNED.read_text().splitlines()[0] + "\n")
    with pytest.raises(InputError, match="no request rows"):
        read_spatten_csv(p)
    with pytest.raises(InputError, match="file does not exist"):
        read_spatten_csv(tmp_path / "nope.csv")


def test_reads_as_pandas_does():
    # the reader parses with the csv module: the same rows and values as pandas.read_csv, footer dropped
    df = pd.read_csv(CSV_PRUNED).dropna(subset=["layer_id"])
    r = read_spatten_csv(CSV_PRUNED).req_table
    for ours, theirs in (
        ("step", "iteration_id"),
        ("layer", "layer_id"),
        ("head", "head_id"),
        ("d", "embedding_length_D"),
        ("keys", "key_fetch_num"),
        ("values", "value_fetch_num"),
    ):
        assert r[ours].tolist() == df[theirs].astype(int).tolist()
    assert (r["lsb_queries"] > 0).tolist() == df["if_requant"].tolist()


def test_ragged_rows(tmp_path):
    lines = CSV_PRUNED.read_text().splitlines()
    p = tmp_path / "t.csv"
    p.write_text("\n".join([*lines[:4], lines[4] + ",7", *lines[5:]]))
    with pytest.raises(InputError, match=r"t\.csv: not a readable CSV \(Expected 17 fields in line 5, saw 18\)"):
        read_spatten_csv(p)
    p.write_text("\n".join([*lines[:4], lines[4].rsplit(",", 3)[0], *lines[5:]]))  # short: not a config line
    with pytest.raises(InputError, match=r"field 'topk': line 5: expected a number, got ''"):
        read_spatten_csv(p)
