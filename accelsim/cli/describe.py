"""``accelsim describe``: the unit and meaning of every result column (the stat dictionary)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from accelsim.cli._tables import Format, FormatOption, Sheet, emit, one_of
from accelsim.errors import InputError


def describe(
    source: Annotated[Path | None, typer.Argument(
        help="A sweep's results directory or one of its Parquet parts (default: every column family).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the dictionary as JSON.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Print each result column's unit and description."""
    one_of(as_json, fmt)
    stats = _from_parquet(source) if source is not None else _default()
    if as_json:
        print(json.dumps(stats, indent=1))
        return
    t = Sheet("columns", "", ["column", "unit", "description"])
    for name, d in stats.items():
        t.add(name, d["unit"], d["description"])
    emit(t, fmt)


def _from_parquet(source: Path) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not source.exists():
        raise InputError(source, None, "no such file or directory")
    parts = sorted((source / "results").glob("part-*.parquet")) if source.is_dir() else [source]
    if not parts:
        raise InputError(source, None, "no results here (expected results/part-*.parquet)")
    try:
        meta = pq.read_schema(parts[0]).metadata or {}
    except (OSError, pa.ArrowInvalid) as err:
        raise InputError(parts[0], None, f"not a Parquet file ({err})") from None
    if b"accelsim.stats" not in meta:
        raise InputError(parts[0], None, "no stat dictionary in its metadata (written by an older accelsim)")
    return json.loads(meta[b"accelsim.stats"])


def _default() -> dict:
    """Every fixed column, and one ``<prefix><key>`` row per family of spread columns."""
    from accelsim.sim.stats import PREFIXES, UNITS, stat_dictionary

    families = {f"{p}<key>": {"unit": u, "description": d.format("<key>")} for p, (u, d) in PREFIXES.items()}
    return {**stat_dictionary(UNITS), **families}


def register(app: typer.Typer) -> None:
    app.command("describe")(describe)
