"""Profiles of the SpAtten authors' behaviour model (``spatten_hardware/simulator/src/bert.cpp`` in
mit-han-lab/spatten): its ``input.csv`` format, read, written, and derived from a WorkPlan.

One profile is one head of one layer. bert.cpp reads 15 named columns (any order, extra columns
ignored: fast-cpp-csv-parser's ``ignore_extra_column``), stops at the first row whose ``layer_id``
does not start with a digit, and starts a new layer whenever ``layer_id`` differs from the row
before. It uses only D, L, the fetch count, the key/value widths, ``if_topk`` and ``topk``; the
other columns must be present but are not read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from accelsim.errors import InputError
from accelsim.outputs import atomic_file
from accelsim.workplan import TOPK_KINDS, WorkPlan

INPUT_COLUMNS = [
    "layer_id", "head_id", "embedding_length_D", "sentence_length_L", "key_value_query_fetch_num",
    "quant_key_bit", "quant_value_bit", "quant_query_bit", "auto_requant_thres", "if_requant",
    "auto_requant_incre", "auto_requant_num", "if_accumulate_importance", "if_topk", "topk",
]
"""The header bert.cpp's ``main()`` requires (``in.read_header(io::ignore_extra_column, ...)``)."""

LABEL_COLUMNS = ["step", "layer"]
"""Extra columns the exporter adds (bert.cpp ignores them): the WorkPlan step and layer of a row."""

PROFILE_COLUMNS: dict[str, str] = {
    "layer_id": "int64",  # bert.cpp layer label; a run of equal labels is one layer
    "head_id": "int64",
    "d": "int64",  # embedding_length_D: head dimension
    "length": "int64",  # sentence_length_L: queries scored against the fetched keys
    "fetch": "int64",  # key_value_query_fetch_num: key rows (and as many value rows) fetched
    "key_bits": "int64",  # quant_key_bit as written (the model counts 6 and > 8 as 8)
    "value_bits": "int64",  # quant_value_bit as written
    "topk": "bool",  # if_topk: a token top-k runs after this head
    "topk_k": "int64",  # topk: tokens kept
    "step": "int64",  # WorkPlan decode step (0 when read from a file without the column)
    "layer": "int64",  # WorkPlan layer (layer_id when read from a file without the column)
}

COUNT_FIELDS = {"embedding_length_D": "d", "sentence_length_L": "length", "key_value_query_fetch_num": "fetch",
                "quant_key_bit": "key_bits", "quant_value_bit": "value_bits"}


def profiles_from_plan(wp: WorkPlan) -> pd.DataFrame:
    """bert.cpp profiles of a WorkPlan: one per request row, in order.

    Each run of requests with the same (prefill, step, layer) becomes one bert.cpp layer, numbered
    0, 1, ... (bert.cpp's first layer must be 0); L is the request's queries, the fetch count its
    keys. A request that a token top-k job follows gets ``topk`` with the job's k. bert.cpp has no
    value pruning, LSB refetch or head top-k, so value counts, LSB fields and head/value jobs are
    not carried.
    """
    r = wp.requests
    group = r[["prefill", "step", "layer"]].to_numpy(np.int64)
    new = np.r_[True, (group[1:] != group[:-1]).any(axis=1)] if len(r) else np.zeros(0, bool)
    topk = np.zeros(len(r), bool)
    k = np.full(len(r), -1, np.int64)
    jobs = wp.topk[wp.topk["kind"] == TOPK_KINDS.index("token")]
    owner = jobs["request"].to_numpy()
    topk[owner] = True
    k[owner] = jobs["k"].to_numpy()
    return pd.DataFrame({
        "layer_id": np.cumsum(new) - 1, "head_id": r["head"], "d": r["d"], "length": r["queries"],
        "fetch": r["keys"], "key_bits": r["key_bits"], "value_bits": r["value_bits"], "topk": topk,
        "topk_k": k, "step": r["step"], "layer": r["layer"],
    }).astype(PROFILE_COLUMNS)


def write_input_csv(profiles: pd.DataFrame, path: str | Path) -> None:
    """Write ``profiles`` as bert.cpp's ``input.csv``; the columns bert.cpp never reads are left
    empty, and ``step`` and ``layer`` are appended (bert.cpp ignores extra columns)."""
    p = profiles
    blank = np.full(len(p), "", dtype=object)
    out = pd.DataFrame({
        "layer_id": p["layer_id"], "head_id": p["head_id"], "embedding_length_D": p["d"],
        "sentence_length_L": p["length"], "key_value_query_fetch_num": p["fetch"],
        "quant_key_bit": p["key_bits"], "quant_value_bit": p["value_bits"],
        **dict.fromkeys(INPUT_COLUMNS[7:13], blank),
        "if_topk": np.where(p["topk"], "True", "False"), "topk": p["topk_k"],
        "step": p["step"], "layer": p["layer"],
    })
    with atomic_file(path, "--bertcpp-input") as tmp:
        out.to_csv(tmp, index=False)


def read_input_csv(path: str | Path) -> pd.DataFrame:
    """Read a bert.cpp ``input.csv`` into profiles, as bert.cpp reads it; bad input raises InputError."""
    src = str(path)
    path = Path(path)
    if not path.exists():
        raise InputError(src, None, "file does not exist")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise InputError(src, None, f"not a readable CSV ({str(err).splitlines()[0]})") from None
    missing = [c for c in INPUT_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(src, missing[0],
                         f"missing column; bert.cpp's input.csv has columns {', '.join(INPUT_COLUMNS)}")
    digit = df["layer_id"].str.strip().str[:1].str.isdigit().to_numpy(bool)
    end = int(np.flatnonzero(~digit)[0]) if (~digit).any() else len(df)  # bert.cpp stops at a non-digit label
    df = df.iloc[:end]
    if df.empty:
        raise InputError(src, "layer_id", "no profile rows")
    num = {c: _integers(df[c], c, src) for c in ["layer_id", "head_id", *COUNT_FIELDS, "topk"]}
    for c in COUNT_FIELDS:
        if (num[c] < 0).any():
            _fail(src, c, num[c] < 0, df[c], "expected a non-negative integer")
    if (num["embedding_length_D"] == 0).any():
        _fail(src, "embedding_length_D", num["embedding_length_D"] == 0, df["embedding_length_D"],
              "expected a positive head dimension")
    if num["layer_id"][0] != 0:
        raise InputError(src, "layer_id", "line 2: the first layer must be 0 (bert.cpp starts with layer 0 "
                         f"and would run an empty layer), got {df['layer_id'].iloc[0]!r}")
    flag = df["if_topk"].str.strip()
    if not flag.isin(["True", "False"]).all():
        _fail(src, "if_topk", ~flag.isin(["True", "False"]).to_numpy(), df["if_topk"], "expected True or False")
    topk = (flag == "True").to_numpy()
    if (topk & (num["topk"] < 1)).any():
        _fail(src, "topk", topk & (num["topk"] < 1), df["topk"], "a top-k row must keep at least 1 token")
    labels = {c: _integers(df[c], c, src) if c in df.columns else None for c in LABEL_COLUMNS}
    return pd.DataFrame({
        "layer_id": num["layer_id"], "head_id": num["head_id"],
        **{name: num[col] for col, name in COUNT_FIELDS.items()},
        "topk": topk, "topk_k": num["topk"],
        "step": labels["step"] if labels["step"] is not None else 0,
        "layer": labels["layer"] if labels["layer"] is not None else num["layer_id"],
    }).astype(PROFILE_COLUMNS)


def _integers(col: pd.Series, name: str, src: str) -> np.ndarray:
    """Integer values of a column (``64.0`` is 64, as ``std::stoi`` reads it); anything else is an error."""
    vals = pd.to_numeric(col.str.strip(), errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(vals) | (vals != np.round(vals))
    if bad.any():
        _fail(src, name, bad, col, "expected an integer")
    return vals.astype(np.int64)


def _fail(src: str, name: str, bad: np.ndarray, col: pd.Series, message: str) -> None:
    i = int(np.flatnonzero(bad)[0])
    raise InputError(src, name, f"line {i + 2}: {message}, got {col.iloc[i]!r}")
