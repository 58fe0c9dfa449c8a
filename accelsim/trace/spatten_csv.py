"""Import the SpAtten authors' request traces (CSV) as a WorkPlan.

One CSV row is one query of one head at one decode iteration (see
``reference/spatten-traces/README.md``). Bits of -1 mean the unquantized path, which the authors'
trace driver replays as 12 bits (8 MSB + 4 LSB fetched together). Top-k jobs: a local value-pruning
job per row that fetches fewer values than keys, and a token-pruning job on rows flagged
``if_topk``; their quick-select pass sizes are drawn with a seeded generator, since the CSV holds
no scores.
"""

from __future__ import annotations

import csv
import io
from itertools import compress
from pathlib import Path

import numpy as np

from accelsim.errors import InputError
from accelsim.inputs import read_text
from accelsim.topk import TopKEngine, get_engine
from accelsim.workplan import TopKJobs, WorkPlan

COLUMNS = [
    "iteration_id", "layer_id", "head_id", "embedding_length_D", "sentence_length_L",
    "key_fetch_num", "quant_key_bit", "quant_query_bit", "auto_requant_thres", "if_requant",
    "auto_requant_incre", "value_fetch_num", "quant_value_bit", "if_accumulate_importance",
    "if_rescale_previous_importance", "if_topk", "topk",
]
NUMERIC = ["iteration_id", "layer_id", "head_id", "embedding_length_D", "sentence_length_L",
           "key_fetch_num", "quant_key_bit", "auto_requant_incre", "value_fetch_num",
           "quant_value_bit", "topk"]
FLAGS = ["if_requant", "if_topk"]
UNQUANTIZED_BITS = 12  # authors' trace driver: -1 bits replay as 8 MSB + 4 LSB


INT_LIMIT = 2**31 - 1  # every count and id fits the int32 columns of a WorkPlan
MAX_BITS = 16  # widest operand the authors' traces name: 16-bit queries (quant_query_bit)
LIMITS: dict[str, tuple[int, int]] = {  # column: (least, most) accepted value
    "iteration_id": (0, INT_LIMIT), "layer_id": (0, 4095), "head_id": (0, 4095),  # 4096: 43x GPT-3's 96
    "embedding_length_D": (1, 4096), "sentence_length_L": (1, INT_LIMIT), "key_fetch_num": (0, INT_LIMIT),
    "quant_key_bit": (-1, MAX_BITS), "auto_requant_incre": (-1, MAX_BITS), "value_fetch_num": (0, INT_LIMIT),
    "quant_value_bit": (-1, MAX_BITS), "topk": (-1, INT_LIMIT),
}
"""Ranges of the numeric columns; -1 means unquantized (bits), no LSB refetch (incre) or no top-k (topk)."""
ORDER = [("key_fetch_num", "sentence_length_L", "keys fetched cannot exceed the context"),
         ("value_fetch_num", "key_fetch_num", "values fetched cannot exceed the keys fetched"),
         ("topk", "sentence_length_L", "top-k cannot keep more tokens than the context")]


FLAG_CELLS = {"True": True, "False": False, "true": True, "false": False, "1": True, "0": False}
"""Flag cells as the authors' traces spell them; any case and surrounding spaces are read too."""


def _flag(col: list[str], name: str, src: str) -> np.ndarray:
    flags = [FLAG_CELLS.get(v) for v in col]
    if None not in flags:
        return np.array(flags, bool)
    s = [v.strip().lower() for v in col]
    bad = np.array([v not in ("true", "false", "1", "0") for v in s], bool)
    if bad.any():
        line = _first(bad)
        raise InputError(src, name, f"line {line}: expected True or False, got {col[line - 2]!r}")
    return np.array([v in ("true", "1") for v in s], bool)


def _numbers(col: list[str]) -> np.ndarray:
    """``col`` as floats, NaN where a cell is not a number (as ``pandas.to_numeric(errors="coerce")``)."""
    try:
        if "_" not in "".join(col):  # numpy, like Python, reads 1_000; a CSV number has no "_"
            return np.array(col).astype(np.float64)
    except ValueError:
        pass

    def number(v: str) -> float:
        try:
            return np.nan if "_" in v else float(v)
        except ValueError:
            return np.nan

    return np.array([number(v) for v in col], np.float64)


def _read_rows(text: str, src: str) -> dict[str, list[str | None]]:
    """The ``COLUMNS`` of the CSV by header name (the first of repeated names), blank lines skipped; a
    missing column, then a row with more cells than the header, is an error; a row with fewer has its
    missing cells None."""
    reader = csv.reader(io.StringIO(text))
    rows, long = [], None  # long: (line, cells) of the first row longer than the header
    try:
        header = next(r for r in reader if r)
        for row in reader:
            if row:
                if long is None and len(row) > len(header):
                    long = (reader.line_num, len(row))
                rows.append(row)
    except StopIteration:
        raise InputError(src, None, "not a readable CSV (No columns to parse from file)") from None
    except csv.Error as err:
        raise InputError(src, None, f"not a readable CSV ({err})") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(src, missing[0], f"missing column; a SpAtten trace has columns {', '.join(COLUMNS)}")
    if long is not None:
        raise InputError(src, None, f"not a readable CSV (Expected {len(header)} fields in line {long[0]}, "
                         f"saw {long[1]})")
    at = {c: header.index(c) for c in COLUMNS}
    if all(len(r) == len(header) for r in rows):
        cols = list(zip(*rows, strict=True)) if rows else [()] * len(header)
        return {c: list(cols[i]) for c, i in at.items()}
    return {c: [r[i] if i < len(r) else None for r in rows] for c, i in at.items()}


def _first(bad: np.ndarray) -> int:
    """CSV line of the first True row of ``bad`` (line 1 is the header)."""
    return int(np.flatnonzero(bad)[0]) + 2


def _integers(df: dict[str, list[str]], src: str) -> dict[str, np.ndarray]:
    """The numeric columns as int64, each whole, finite and within ``LIMITS``, and counts in ``ORDER``."""
    num = {}
    for c in NUMERIC:
        vals = _numbers(df[c])
        lo, hi = LIMITS[c]
        for bad, why in ((np.isnan(vals), "expected a number"),
                         (~np.isfinite(vals) | (vals != np.round(vals)), "expected a whole number"),
                         ((vals < lo) | (vals > hi), f"expected a whole number from {lo} to {hi:,}")):
            if bad.any():
                line = _first(bad)
                raise InputError(src, c, f"line {line}: {why}, got {df[c][line - 2]!r}")
        num[c] = vals.astype(np.int64)
    for c in ("quant_key_bit", "quant_value_bit"):
        if (num[c] == 0).any():
            line = _first(num[c] == 0)
            raise InputError(src, c, f"line {line}: expected -1 (unquantized) or 1 to {MAX_BITS} bits, got 0")
    for small, big, why in ORDER:
        bad = num[small] > num[big]
        if bad.any():
            line = _first(bad)
            raise InputError(src, small, f"line {line}: {why} ({small} {num[small][line - 2]:,} > {big} "
                             f"{num[big][line - 2]:,})")
    return num


def read_spatten_csv(path: str | Path, seed: int = 0, engine: TopKEngine | None = None) -> WorkPlan:
    """Read one of the authors' CSV request traces into a WorkPlan; its recorded top-k jobs get the
    passes ``engine`` (default: quick-select) draws for their sizes, from ``seed``.

    Raises
    ------
    InputError
        Naming the file, column and line of the first value that is not UTF-8 text, not a whole number in
        its column's range (``LIMITS``) or breaks an order of counts (``ORDER``).
    """
    src = str(path)
    text = read_text(path)
    table = _read_rows(text, src)
    request = [v is None or v.strip() != "" for v in table["layer_id"]]  # the last line names the config
    footer = [v for v, r in zip(table["iteration_id"], request, strict=True) if not r]
    df = {c: list(compress(table[c], request)) for c in COLUMNS}
    df = {c: [v if v is not None else "" for v in col] if None in col else col for c, col in df.items()}
    if not df[COLUMNS[0]]:
        raise InputError(src, None, "no request rows")
    num = _integers(df, src)
    flags = {c: _flag(df[c], c, src) for c in FLAGS}

    def bits(col: str) -> np.ndarray:
        b = num[col]
        return np.where(b > 0, b, UNQUANTIZED_BITS).astype(np.int32)

    keys = num["key_fetch_num"].astype(np.int32)
    values = num["value_fetch_num"].astype(np.int32)
    requant = flags["if_requant"]
    lsb = np.where(requant, np.maximum(num["auto_requant_incre"], 0), 0).astype(np.int32)
    n = len(keys)
    req = {
        "prefill": np.zeros(n, bool),
        "step": num["iteration_id"], "layer": num["layer_id"], "head": num["head_id"],
        "d": num["embedding_length_D"], "context": num["sentence_length_L"],
        "queries": np.ones(n, np.int32), "keys": keys, "key_bits": bits("quant_key_bit"),
        "lsb_bits": lsb, "lsb_keys": np.where(requant, keys, 0),
        "lsb_queries": requant.astype(np.int32), "requant_rows": np.where(requant, keys, 0),
        "values": values, "value_bits": bits("quant_value_bit"),
        "qk_rows": keys, "pv_rows": values,
        "mass_recall": np.full(n, np.nan), "out_err": np.full(n, np.nan),
    }

    engine = engine or get_engine("quickselect")
    rng = np.random.default_rng(seed)
    jobs = TopKJobs()
    vrows = np.flatnonzero(values < keys)
    jobs.add(vrows, "value", keys[vrows], values[vrows],
             engine.passes_for_shape(keys[vrows], values[vrows], rng))
    trows = np.flatnonzero(flags["if_topk"] & (num["topk"] > 0))
    tn = np.maximum(keys[trows], num["topk"][trows]).astype(np.int64)
    tk = num["topk"][trows].astype(np.int64)
    jobs.add(trows, "token", tn, tk, engine.passes_for_shape(tn, tk, rng))
    topk, passes = jobs.table()
    meta = {"source": src, "kind": "spatten-csv", "authors_config": footer[0] if footer else "",
            "layers": int(num["layer_id"].max()) + 1, "heads": int(num["head_id"].max()) + 1,
            "policy": "as-recorded"}
    plan = WorkPlan(req, topk, passes, meta)
    plan.record_engine(engine, fields=())  # passes_for_shape reads no params: --seed draws them
    return plan
