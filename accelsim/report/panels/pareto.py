"""The Pareto front of the view's objectives: a plot of two, or a scatter matrix of three or more."""

from __future__ import annotations

from accelsim.report import figures as F
from accelsim.report.panels.base import Panel, config_columns, register
from accelsim.report.results import Results
from accelsim.report.view import View

FRONT = "the Pareto front (no other point is as good in every objective and better in one)"


@register("pareto", "Pareto front", order=10)
def pareto(results: Results, view: View) -> Panel | None:
    p = results.points
    if len(p) < 2:
        return None
    objs = ", ".join(view.label(o) for o in view.objectives)
    config = config_columns(results)
    if view.axes is None:
        return Panel(
            f"{len(p)} design points, each pair of objectives; ringed: {FRONT}; colour = {view.colour}; hover a "
            "point for its config.",
            F.front_matrix(p, view, config),
            f"Pareto front of {objs}",
        )
    x, y = view.axes
    plotted = "" if len(view.objectives) == 2 and set(view.axes) == set(view.objectives) else f": {x} vs {y}"
    return Panel(
        f"{len(p)} design points; ringed: {FRONT}; colour = {view.colour}; hover a point for its config.",
        F.front_plot(p, view, config),
        f"Pareto front of {objs}{plotted}",
    )
