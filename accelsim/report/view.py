"""What a sweep report's trade-off figures show: the objectives whose front is marked, the axes of the
front plot and the colour, checked against the results table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from accelsim.errors import InputError
from accelsim.report.results import Results
from accelsim.sweep.pareto import Objectives, as_objectives, check_columns
from accelsim.sweep.spec import DEFAULT_OBJECTIVES

FILLERS = ("cycles", "energy_j")
"""The second axis of a front plot of one objective: the first of these that is not the objective."""


def colour_column(points: pd.DataFrame) -> str:
    """What the scatter plots colour by unless told: attention-mass recall when known, else area."""
    q = "quality_mass_recall"
    return q if q in points.columns and points[q].notna().any() else "area_mm2"


@dataclass(frozen=True)
class View:
    """The trade-off figures of a sweep report."""

    objectives: Objectives = field(default_factory=lambda: dict(DEFAULT_OBJECTIVES))
    """Column -> min or max: the front marked in every figure."""
    axes: tuple[str, str] | None = None
    """x and y of the front plot; None for a scatter matrix of the objectives (3 or more)."""
    colour: str = "area_mm2"
    """Column the scatter plots and parallel coordinates colour by."""

    def label(self, column: str) -> str:
        """``column``, with its direction when it is an objective: ``quality_mass_recall (max)``."""
        sense = self.objectives.get(column)
        return f"{column} ({sense})" if sense else column

    @property
    def front_name(self) -> str:
        """``Pareto front (cycles min, quality_mass_recall max)``."""
        return f"Pareto front ({', '.join(f'{o} {s}' for o, s in self.objectives.items())})"


def choose_view(
    points: pd.DataFrame,
    objectives: Mapping[str, str] | None = None,
    x: str | None = None,
    y: str | None = None,
    colour: str | None = None,
    source: str | None = None,
) -> View:
    """The view of ``points`` for these options (each None: its default), every column checked.

    Objectives default to the sweep file's default (``DEFAULT_OBJECTIVES``), the colour to
    ``colour_column``.

    Front plot axes: ``x`` and ``y``; one of them given, the other is the first objective not equal
    to it; neither, the two objectives (one objective: it and cycles or energy); three or more
    objectives and no axes give a scatter matrix of the objectives.

    Raises
    ------
    InputError
        If a column is not a numeric column of ``points``, or ``x`` equals ``y``.
    """
    objs = dict(objectives) if objectives is not None else dict(DEFAULT_OBJECTIVES)
    check_columns(points, list(objs), "--objectives", source)
    for name, value in (("--x", x), ("--y", y), ("--color", colour)):
        if value is not None:
            check_columns(points, [value], name, source)
    if x is not None and x == y:
        raise InputError(source, "--y", f"x and y are both {x!r}; choose two columns")
    names = list(objs)
    if x is None and y is None:
        if len(names) >= 3:
            return View(objs, None, colour or colour_column(points))
        x, y = names[0], names[1] if len(names) == 2 else next(c for c in FILLERS if c != names[0])
    elif x is None:
        x = next(c for c in [*names, *FILLERS] if c != y)
    elif y is None:
        y = next(c for c in [*names, *FILLERS] if c != x)
    return View(objs, (x, y), colour or colour_column(points))


def view_for(
    results: Results,
    objectives: str | Mapping[str, str] | Sequence[str] | None = None,
    x: str | None = None,
    y: str | None = None,
    colour: str | None = None,
) -> View | None:
    """The view the report options ask for (``accelsim report --objectives --x --y --color``), or None when
    none is given (the report then plots the objectives the results were swept for).

    Raises
    ------
    InputError
        As ``choose_view``, for bad objectives, or for any option on a single point.
    """
    given = {"--objectives": objectives, "--x": x, "--y": y, "--color": colour}
    if all(v is None for v in given.values()):
        return None
    if len(results.points) < 2:
        name = next(k for k, v in given.items() if v is not None)
        raise InputError(results.source, name, "one point has no trade-off figures; give a sweep's results")
    objs = as_objectives(objectives) if objectives is not None else results.objectives
    return choose_view(results.points, objs, x, y, colour, results.source)
