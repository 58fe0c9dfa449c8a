"""Energy by component, stacked per design point."""

from __future__ import annotations

from accelsim.report import figures as F
from accelsim.report.panels.base import Panel, bar_points, register
from accelsim.report.results import Results
from accelsim.report.view import View


@register("energy", "Energy by component", order=30)
def energy(results: Results, view: View) -> Panel:
    bars, which = bar_points(results, view)
    return Panel(
        f"Stacked by component for {which}; DRAM, SRAM, compute and top-k in separate hues.",
        F.energy_breakdown(bars, results.swept),
    )
