"""The report's figures as a registry: each one a name, a title, a place and a draw function.

A figure module (in this package, in a distribution's ``accelsim.figures`` entry points, or a file in a
sweep YAML's ``plugins:``) decorates its draw function with :func:`register`; the report asks every
registered figure, in ``order``, to draw itself from the results.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from accelsim.registry import Registry
from accelsim.report import figures as F
from accelsim.report.results import Results
from accelsim.report.view import View

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
"""A figure's name: the page's element ids ``fig-<name>`` and ``data-fig-<name>``."""


@dataclass(frozen=True)
class Panel:
    """A drawn figure: what a draw function returns when the results support the figure."""

    caption: str
    figure: go.Figure
    title: str | None = None
    """The heading, where it depends on the results (else the registered title)."""


Draw = Callable[[Results, View], Panel | str | None]
"""Draws a figure of the results: a :class:`Panel`, a note on why it is left out (listed under "Not
shown"), or None to leave it out silently."""


@dataclass(frozen=True)
class Figure:
    """One registered figure of the report."""

    name: str
    title: str
    order: float
    """Place in the report: figures appear by ascending order (then name)."""
    draw: Draw


FIGURES: Registry[Figure] = Registry("figure", "accelsim.report.panels")


def register(name: str, title: str, order: float) -> Callable[[Draw], Draw]:
    """Decorator: register the draw function as the figure ``name`` (``fig-<name>`` in the page).

    Raises
    ------
    ValueError
        The name is not lower-case letters, digits and underscores, or another module took it.
    """
    if not NAME.match(name):
        raise ValueError(f"figure name must be lower-case letters, digits and underscores, not {name!r}")

    def add(draw: Draw) -> Draw:
        FIGURES.add(name, Figure(name, title, float(order), draw), draw.__module__)
        return draw

    return add


def in_order() -> list[Figure]:
    """Every registered figure, in report order."""
    return sorted(FIGURES.values(), key=lambda f: (f.order, f.name))


def config_columns(results: Results) -> list[str]:
    """The columns a point's hover text shows: the swept ones and its id."""
    return [*results.swept, "point_id"]


def bar_points(results: Results, view: View) -> tuple[pd.DataFrame, str]:
    """The points the bar charts show (``figures.bar_points``) and how a caption names them."""
    bars = F.bar_points(results.points, view.objectives)
    which = "each design point" if len(bars) == len(results.points) else f"{len(bars)} points of the Pareto front"
    return bars, which
