"""The one table printer of the commands: ``--format table|csv|md|json``.

A command builds :class:`Sheet` objects holding raw values and hands them to :func:`emit`. On a
terminal, ``table`` shows each cell's display text (rounded, with units) in a rich table that
folds text but never cuts a number; everywhere else (``table`` piped, ``csv``, ``md``, ``json``)
cells are printed at full precision (``repr`` of a float).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from accelsim.errors import InputError

if TYPE_CHECKING:  # rich: imported when a table is printed (not for --json, csv or md)
    from rich.console import Console
    from rich.table import Table


class Format(StrEnum):
    table = "table"
    csv = "csv"
    md = "md"
    json = "json"


FormatOption = Annotated[
    Format, typer.Option("--format", help="table (rich; full precision when piped), csv, md or json (full precision).")
]


@dataclass(frozen=True)
class Cell:
    """A value with the text a terminal shows for it (rounded, with a unit)."""

    value: Any
    text: str


@dataclass
class Sheet:
    """One table: raw rows under named columns."""

    key: str
    """Its name in ``json`` (an object key when a command prints several) and ``csv`` / ``md`` titles."""
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    """Cells: numbers, strings, None (no value) or :class:`Cell`."""
    formats: dict[str, str] = field(default_factory=dict)
    """Column -> format spec of its numbers on a terminal (default: ``",.0f"`` from 1000 up, else ``".6g"``)."""
    styles: dict[str, Callable[[Any], str]] = field(default_factory=dict)
    """Column -> rich style of a cell's value on a terminal."""
    show_header: bool = True
    hidden: Sequence[str] = ()
    """Columns a terminal leaves out (their cells' display text already says it, e.g. a unit)."""
    left: Sequence[str] = ()
    """Columns aligned left on a terminal besides text ones (numbers are right-aligned)."""

    def add(self, *cells: Any) -> None:
        self.rows.append(list(cells))

    def records(self) -> list[dict[str, Any]]:
        return [{c: _raw(v) for c, v in zip(self.columns, row, strict=True)} for row in self.rows]


def _raw(v: Any) -> Any:
    """The full-precision value of a cell, as JSON can hold it."""
    v = v.value if isinstance(v, Cell) else v
    if hasattr(v, "item") and not isinstance(v, str | bytes):  # numpy scalars
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else str(v)
    return v


def _text(v: Any) -> str:
    """A cell at full precision as text (``repr`` of a float: it reads back to the same number)."""
    v = _raw(v)
    return "" if v is None else repr(v) if isinstance(v, float) else str(v)


def _shown(sheet: Sheet, column: str, v: Any) -> str:
    """A cell as a terminal shows it."""
    if isinstance(v, Cell):
        return v.text
    v = _raw(v)
    if v is None:
        return "–"
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    default = ",.0f" if abs(v) >= 1000 else ".6g" if isinstance(v, float) else ","  # no exponent on counts
    return format(v, sheet.formats.get(column, default))


def _numeric(sheet: Sheet, i: int) -> bool:
    vals = [_raw(r[i]) for r in sheet.rows if _raw(r[i]) is not None]
    return bool(vals) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)


HEADER_WORD = 10  # a column kept whole is at least this wide (or its header's width) so its header folds little


def _rich(sheet: Sheet, console: Console) -> tuple[Table, int]:
    """A rich table of ``sheet`` and the width to print it at: numbers right-aligned; when the table is wider
    than the console, columns of single words (numbers, names, paths) keep their widest cell and the rest
    wrap; wider than the console even so, the table
    is printed whole at its own width (a terminal wraps the lines) rather than cropped."""
    from rich.markup import escape
    from rich.measure import Measurement
    from rich.table import Table

    terminal = console.is_terminal
    keep = [i for i, c in enumerate(sheet.columns) if not (terminal and c in sheet.hidden)]
    cells = [
        [
            _shown(sheet, c, v) if terminal else "–" if _raw(v) is None else _text(v)
            for c, v in zip(sheet.columns, row, strict=True)
        ]
        for row in sheet.rows
    ]
    number = {i: _numeric(sheet, i) and sheet.columns[i] not in sheet.left for i in keep}
    fixed = {
        i: max(max((len(w) for r in cells for w in r[i].split()), default=0), min(len(sheet.columns[i]), HEADER_WORD))
        for i in keep
        if all(len(r[i].split()) <= 1 for r in cells)
    }

    def build(widths: dict[int, int]) -> Table:
        t = Table(title=sheet.title or None, show_header=sheet.show_header)
        for i in keep:
            t.add_column(
                sheet.columns[i], justify="right" if number[i] else "left", overflow="fold", width=widths.get(i)
            )
        for raw, row in zip(sheet.rows, cells, strict=True):
            t.add_row(
                *(
                    f"[{sheet.styles[sheet.columns[i]](_raw(raw[i]))}]{escape(row[i])}[/]"
                    if sheet.columns[i] in sheet.styles
                    else escape(row[i])
                    for i in keep
                )
            )
        return t

    wide = console.options.update_width(1 << 20)
    t = build({})
    if Measurement.get(console, wide, t).maximum <= console.width:
        return t, console.width
    t = build(fixed)
    return t, max(console.width, Measurement.get(console, wide, t).minimum)


def emit(sheets: Sheet | Sequence[Sheet], fmt: Format, console: Console | None = None) -> None:
    """Print ``sheets`` in ``fmt`` on stdout. ``json`` prints one list of row objects for one sheet, an
    object of them by key for several."""
    many = not isinstance(sheets, Sheet)
    sheets = list(sheets) if many else [sheets]
    if fmt == Format.json:
        out = {s.key: s.records() for s in sheets} if many else sheets[0].records()
        print(json.dumps(out, indent=1))
        return
    if fmt == Format.csv:
        for i, s in enumerate(sheets):
            if many:
                print(("\n" if i else "") + f"# {s.key}: {s.title}")
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(s.columns)
            w.writerows([_text(v) for v in row] for row in s.rows)
            print(buf.getvalue(), end="")
        return
    if fmt == Format.md:
        for i, s in enumerate(sheets):
            if i or s.title:
                print(("\n" if i else "") + (f"**{s.title}**\n" if s.title else ""))
            print("| " + " | ".join(s.columns) + " |")
            print("|" + "|".join("---:" if _numeric(s, j) else "---" for j in range(len(s.columns))) + "|")
            for row in s.rows:
                print("| " + " | ".join(_text(v).replace("|", r"\|") for v in row) + " |")
        return
    from rich.console import Console

    console = console or Console()
    for s in sheets:
        t, width = _rich(s, console)
        out = console
        if width > console.width:
            out = Console(file=console.file, width=width, force_terminal=console.is_terminal, no_color=console.no_color)
        out.print(t)


def note(text: str, fmt: Format) -> None:
    """A line around the tables: on stdout under ``table``, on stderr otherwise (stdout stays data)."""
    from rich.console import Console

    (Console() if fmt == Format.table else Console(stderr=True)).print(text, soft_wrap=True)


def one_of(as_json: bool, fmt: Format) -> None:
    """``--json`` (the command's own JSON object) or ``--format``: refuse both."""
    if as_json and fmt != Format.table:
        raise InputError(None, "--format", f"give --json or --format {fmt}, not both")
