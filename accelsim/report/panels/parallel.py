"""Parallel coordinates of the swept axes and the objectives."""

from __future__ import annotations

from accelsim.report import figures as F
from accelsim.report.panels.base import Panel, register
from accelsim.report.results import Results
from accelsim.report.view import View


@register("parallel", "Swept axes and objectives", order=20)
def parallel(results: Results, view: View) -> Panel | str | None:
    if len(results.points) < 2:
        return None
    if not results.swept:
        return "parallel coordinates: no config column differs between the points"
    return Panel(
        f"Parallel coordinates: one line per point, coloured by {view.colour}; the Pareto points in red (hover for "
        "their config).",
        F.parallel_axes(results.points, results.swept, view),
    )
