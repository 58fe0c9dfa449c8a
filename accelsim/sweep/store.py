"""The result store: a directory of Parquet part files, one row per design point.

Rows travel and are buffered as columns (:class:`accelsim.rows.Rows`, a chunk of them at a time), and are
buffered and written as part files ``results/part-<n>-<uuid>.parquet``, each written to a
temporary name and renamed into place, so a part is either whole or absent: a run killed at any
moment loses at most the rows not yet flushed, and a rerun recomputes exactly those. Reading
concatenates the parts and keeps one row per ``point_id`` (the first written), so even two runs
racing on one directory never yield a duplicate. ``compact`` folds the parts into one the same way.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from accelsim import __version__
from accelsim.errors import InputError
from accelsim.outputs import atomic_file
from accelsim.rows import Rows
from accelsim.sim.stats import metadata

FLUSH_ROWS = 8192  # rows per part: a fast sweep (~10k points/s) writes few files, each flush costing ~20 ms
FLUSH_SECONDS = 2.0  # ... and at most this much finished work is ever at risk


class ResultStore:
    """Append-only, crash-safe result table in ``root/results``."""

    def __init__(self, root: str | Path, flush_rows: int = FLUSH_ROWS) -> None:
        self.dir = Path(root) / "results"
        self.flush_rows = flush_rows
        self.dir.mkdir(parents=True, exist_ok=True)
        self._buf: list[Rows] = []
        self._rows = 0
        self._last = time.monotonic()

    def parts(self) -> list[Path]:
        return sorted(self.dir.glob("part-*.parquet"))

    def read(self) -> pd.DataFrame:
        """Every finished row, one per point, in point order."""
        return read_results(self.dir.parent)

    def done(self) -> set[str]:
        """Point ids already stored."""
        ids: set[str] = set()
        for part in self.parts():
            ids.update(_read_part(part, ["point_id", "accelsim_version"])["point_id"])
        return ids

    def add(self, rows: Rows) -> None:
        if not self._rows:  # the oldest buffered row's age decides (not the time since the last part)
            self._last = time.monotonic()
        self._buf.append(rows)
        self._rows += rows.size
        if self._rows >= self.flush_rows or time.monotonic() - self._last >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as one part file, atomically."""
        self._last = time.monotonic()
        if not self._rows:
            return
        _write_part(self.dir, Rows.concat(self._buf).frame())
        self._buf, self._rows = [], 0

    def compact(self) -> None:
        """Fold all parts into one (write the new part, then remove the old ones)."""
        self.flush()
        old = self.parts()
        if len(old) > 1:
            _write_part(self.dir, self.read())
            for part in old:
                part.unlink()


def _write_part(directory: Path, df: pd.DataFrame) -> Path:
    name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
    table = pa.Table.from_pandas(df, preserve_index=False)
    with atomic_file(directory / name) as tmp:
        pq.write_table(table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata(df.columns)}), tmp)
    return directory / name


def _read_part(part: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A part file, or one line naming it: unreadable, or written by another accelsim version."""
    try:
        df = pd.read_parquet(part, columns=columns)
    except (pa.ArrowException, OSError, ValueError) as err:
        raise InputError(part, None, f"not a readable results part ({type(err).__name__}); remove it (its points "
                         "rerun) or choose another output directory") from None
    if "accelsim_version" not in df.columns or "point_id" not in df.columns:
        raise InputError(part, None, "not an accelsim results part: no point_id or accelsim_version column")
    versions = sorted(df["accelsim_version"].map(str).unique())
    if versions and versions != [__version__]:
        raise InputError(part, None, f"results written by accelsim {', '.join(versions)}; this is accelsim "
                         f"{__version__}: choose another output directory, or rerun with that version")
    return df


def read_results(root: str | Path) -> pd.DataFrame:
    """The results table of a sweep directory: one row per point, ordered by ``point_index``."""
    parts = sorted((Path(root) / "results").glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame()
    df = pd.concat([_read_part(p) for p in parts], ignore_index=True)
    df = df.drop_duplicates("point_id", keep="first")
    return df.sort_values("point_index", kind="stable").reset_index(drop=True)
