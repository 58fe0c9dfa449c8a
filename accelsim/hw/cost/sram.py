"""Cost of one single-ported SRAM macro from the CACTI 7 table ``tables/cacti_sram.csv``.

The table (written by ``scripts/cacti_tables.py``) holds CACTI's read and write energy per
full-line access, leakage, area and random cycle time for power-of-two ``lines`` x ``width_bits``
at 22-90 nm, for each cell type in its ``cell`` column (``lstp``: ``itrs-lstp`` cells and
periphery, low leakage, slow; ``hp``: ``itrs-hp``, leaks orders of magnitude more, cycles
faster). Every call names its cell type. A macro between grid points is interpolated bilinearly
in (log lines, log width) on the log of each quantity, and between CACTI's nodes linearly in
log(node) on the same logs (so 40 nm lies between 32 and 45 nm). Outside the grid:

* Below CACTI's minimum (fewer lines than the smallest entry for that width, which is 32 lines,
  or 64 lines for 8-bit words): area and leakage are the smallest macro's per bit times the bits;
  access energies and cycle time are the smallest macro's. Against CACTI's own step from 64 to 32 lines this is
  low on area (per bit gives 50 %, CACTI 56-91 %: the periphery does not shrink) and high on
  energy (CACTI's read energy drops 1-11 %, write 7-29 %); both stay within a factor of two
  for one halving.
* Narrower than the narrowest width: energy, leakage and area scale per bit from the narrowest
  macro; cycle time is the narrowest macro's.
* Above the largest: the macro is split into ``k`` equal macros along the axis that overflows.
  Too many lines: ``k`` macros, one accessed at a time, so area and leakage are ``k`` times one
  macro's and the access energy and cycle time are one macro's (the bank-select mux is not
  counted). Too wide: ``k`` macros side by side, all accessed together, so energy, leakage and
  area are ``k`` times one macro's and the cycle time is one macro's.

Nodes outside CACTI's range raise :class:`ValueError`; callers scale from the nearest supported
node with their own rules.
"""

from __future__ import annotations

import bisect
import csv
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from accelsim.errors import InputError
from accelsim.hw.cost.components import TABLES

DEFAULT = TABLES / "cacti_sram.csv"
QUANTITIES = ("read_pj", "write_pj", "leak_mw", "area_mm2", "cycle_ns")
"""The interpolated table columns, in :data:`Values` order (also :class:`Macro`'s numeric fields)."""
COLUMNS = ("node_nm", "lines", "width_bits", *QUANTITIES)
"""The numeric columns read; the ``cell`` column names each row's cell type."""

Values = tuple[float, float, float, float, float]
"""read_pj, write_pj, leak_mw, area_mm2, cycle_ns."""


@dataclass(frozen=True)
class Macro:
    """One physical SRAM macro: energy per full-line access, leakage, area and cycle time."""

    read_pj: float
    write_pj: float
    leak_mw: float
    area_mm2: float
    cycle_ns: float
    """CACTI's random cycle time: the shortest clock period at which the macro takes one access per cycle."""
    source: str
    """Where the numbers come from, e.g. "CACTI 7.0 (hwcomponents-cacti 1.0.40), itrs-lstp, 40 nm, interpolated"."""


@dataclass(frozen=True)
class _Grid:
    """One cell type's part of the table."""

    log_lines: tuple[float, ...]
    log_widths: tuple[float, ...]
    raw: tuple[tuple[tuple[Values, ...], ...], ...]
    """raw[node][lines][width], every grid point filled (see :func:`_fill`)."""
    logs: tuple[tuple[tuple[Values, ...], ...], ...]
    origin: str
    """The source string's prefix, naming CACTI and the cell type."""


@dataclass(frozen=True)
class _Table:
    nodes: tuple[float, ...]
    """The nodes of every cell type (the same for all)."""
    log_nodes: tuple[float, ...]
    cells: dict[str, _Grid]


def _number(path: Path, column: str, row: int, text: str | None) -> float:
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise InputError(path, column, f"row {row}: expected a positive number, got {text!r}")
    return value


@cache
def _load(path: Path) -> _Table:
    """The table at ``path``, checked and with the grid filled; malformed input raises InputError."""
    try:
        text = path.read_text()
    except OSError as err:
        raise InputError(path, None, f"cannot read file ({err.strerror})") from None
    comments = [ln.lstrip("#").strip() for ln in text.splitlines() if ln.startswith("#")]
    reader = csv.DictReader(ln for ln in text.splitlines() if ln and not ln.startswith("#"))
    for column in ("cell", *COLUMNS):
        if column not in (reader.fieldnames or ()):
            raise InputError(path, column, "missing column")
    by_cell: dict[str, dict[tuple[float, int, int], Values]] = {}
    for row, rec in enumerate(reader, start=1):
        node, lines, width, *vals = (_number(path, c, row, rec[c]) for c in COLUMNS)
        if lines != int(lines) or width != int(width):
            raise InputError(path, "lines" if lines != int(lines) else "width_bits", f"row {row}: not an integer")
        cell = (rec["cell"] or "").strip()
        if not cell:
            raise InputError(path, "cell", f"row {row}: empty")
        by_cell.setdefault(cell, {})[(node, int(lines), int(width))] = tuple(vals)  # type: ignore[assignment]
    if not by_cell:
        raise InputError(path, None, "no rows")
    version = next((m for c in comments if (m := re.match(r"CACTI (\S+) from (\S+)==(\S+)", c))), None)
    origin = f"CACTI {version[1]} ({version[2]} {version[3]})" if version else f"CACTI table {path.name}"
    types = next((dict(re.findall(r'(\w+) = "([^"]+)"', c)) for c in comments if c.startswith("cell types:")), {})
    nodes = sorted({k[0] for k in next(iter(by_cell.values()))})
    grids = {}
    for cell, points in by_cell.items():
        if sorted({k[0] for k in points}) != nodes:
            raise InputError(path, "cell", f"cell type {cell!r} covers other nodes than {next(iter(by_cell))!r}")
        lines_axis = sorted({k[1] for k in points})
        widths = sorted({k[2] for k in points})
        raw = tuple(_fill(path, cell, points, n, lines_axis, widths) for n in nodes)
        grids[cell] = _Grid(
            log_lines=tuple(math.log2(x) for x in lines_axis),
            log_widths=tuple(math.log2(x) for x in widths),
            raw=raw,
            logs=tuple(tuple(tuple(tuple(math.log(v) for v in p) for p in r) for r in n) for n in raw),  # type: ignore[misc]
            origin=f"{origin}, {types.get(cell, cell)}",
        )
    return _Table(nodes=tuple(nodes), log_nodes=tuple(math.log(n) for n in nodes), cells=grids)


def _fill(path: Path, cell: str, points: dict[tuple[float, int, int], Values], node: float, lines_axis: list[int],
          widths: list[int]) -> tuple[tuple[Values, ...], ...]:
    """The grid at ``node`` with points CACTI refused (too few lines) filled by the below-minimum rule."""
    grid: list[list[Values]] = [[(0.0,) * len(QUANTITIES)] * len(widths) for _ in lines_axis]  # type: ignore[list-item]
    for j, w in enumerate(widths):
        above: tuple[int, Values] | None = None
        for i in reversed(range(len(lines_axis))):
            got = points.get((node, lines_axis[i], w))
            if got is not None:
                above = (lines_axis[i], got)
                grid[i][j] = got
            elif above is None or any((node, ln, w) in points for ln in lines_axis[:i]):
                raise InputError(path, None, f"no row for {cell}, {node:g} nm, {lines_axis[i]} lines x {w} bits")
            else:
                grid[i][j] = _fewer_lines(above[1], lines_axis[i] / above[0])
    return tuple(tuple(r) for r in grid)


def _fewer_lines(v: Values, ratio: float) -> Values:
    """A macro with ``ratio`` times the lines of ``v``, below CACTI's minimum: same access energy and
    cycle time, area and leakage per bit."""
    return (v[0], v[1], v[2] * ratio, v[3] * ratio, v[4])


def _corners(axis: tuple[float, ...], x: float) -> tuple[tuple[int, float], ...]:
    """Indices and weights on ``axis`` (sorted) for linear interpolation at ``x`` within it."""
    i = bisect.bisect_left(axis, x)
    if axis[i] == x:
        return ((i, 1.0),)
    t = (x - axis[i - 1]) / (axis[i] - axis[i - 1])
    return ((i - 1, 1.0 - t), (i, t))


def _interpolate(t: _Table, g: _Grid, lines: float, width: float, node: float) -> tuple[Values, bool]:
    """One cell type's table at a point inside its grid, and whether that point is interpolated."""
    corners = [
        (n, i, j, wn * wi * wj)
        for n, wn in _corners(t.log_nodes, math.log(node))
        for i, wi in _corners(g.log_lines, math.log2(lines))
        for j, wj in _corners(g.log_widths, math.log2(width))
    ]
    if len(corners) == 1:
        n, i, j, _ = corners[0]
        return g.raw[n][i][j], False
    # written out for the five quantities of Values: about 3x faster than a generator per quantity
    s0 = s1 = s2 = s3 = s4 = 0.0
    for n, i, j, w in corners:
        v0, v1, v2, v3, v4 = g.logs[n][i][j]
        s0 += w * v0
        s1 += w * v1
        s2 += w * v2
        s3 += w * v3
        s4 += w * v4
    return (math.exp(s0), math.exp(s1), math.exp(s2), math.exp(s3), math.exp(s4)), True


def supported_nodes(table: Path = DEFAULT) -> tuple[float, float]:
    """The smallest and largest technology node (nm) in ``table`` (the same for every cell type)."""
    nodes = _load(table).nodes
    return nodes[0], nodes[-1]


def cell_types(table: Path = DEFAULT) -> tuple[str, ...]:
    """The values ``cell`` may take for ``table``, in the table's order (the shipped one: "lstp", "hp")."""
    return tuple(_load(table).cells)


def sram_macro(*, lines: int, width_bits: int, node_nm: float, cell: str, table: Path = DEFAULT) -> Macro:
    """Cost of one single-ported ``lines`` x ``width_bits`` SRAM macro at ``node_nm`` with ``cell`` cells
    and periphery (one of :func:`cell_types`: "lstp" or "hp" for the shipped table).

    Raises ValueError for a non-positive size, an unknown cell type or a node outside the table's range.
    """
    if lines < 1 or width_bits < 1:
        raise ValueError(f"an SRAM macro needs at least 1 line and 1 bit, got {lines} x {width_bits}")
    t = _load(table)
    g = t.cells.get(cell)
    if g is None:
        raise ValueError(f"unknown SRAM cell type {cell!r}: the table has {', '.join(map(repr, t.cells))}")
    if not t.nodes[0] <= node_nm <= t.nodes[-1]:
        raise ValueError(f"CACTI covers {t.nodes[0]:g}-{t.nodes[-1]:g} nm, not {node_nm:g} nm: scale from the "
                         "nearest supported node")
    max_lines, max_width = 2 ** g.log_lines[-1], 2 ** g.log_widths[-1]
    min_lines, min_width = 2 ** g.log_lines[0], 2 ** g.log_widths[0]
    deep, wide = math.ceil(lines / max_lines), math.ceil(width_bits / max_width)
    each_lines, each_width = lines / deep, width_bits / wide
    notes = []
    (read, write, leak, area, cycle), interpolated = _interpolate(t, g, max(each_lines, min_lines),
                                                                  max(each_width, min_width), node_nm)
    if each_lines < min_lines:
        read, write, leak, area, cycle = _fewer_lines((read, write, leak, area, cycle), each_lines / min_lines)
        notes.append(f"scaled per bit below {min_lines:g} lines")
    if each_width < min_width:
        s = each_width / min_width
        read, write, leak, area = read * s, write * s, leak * s, area * s
        notes.append(f"scaled per bit below {min_width:g} bits")
    if deep * wide > 1:
        notes.append(f"{deep * wide} macros of {each_lines:g} x {each_width:g} b")
    notes.insert(0, "interpolated" if interpolated else "table point")
    return Macro(
        read_pj=read * wide,
        write_pj=write * wide,
        leak_mw=leak * wide * deep,
        area_mm2=area * wide * deep,
        cycle_ns=cycle,
        source=f"{g.origin}, {node_nm:g} nm, {', '.join(notes)}",
    )
