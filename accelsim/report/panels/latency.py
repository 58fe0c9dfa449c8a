"""Where the cycles went: each unit's work, stalls and blocks against the total."""

from __future__ import annotations

from accelsim.report import figures as F
from accelsim.report.panels.base import Panel, bar_points, register
from accelsim.report.results import Results
from accelsim.report.view import View


@register("latency", "Where the cycles went", order=40)
def latency(results: Results, view: View) -> Panel:
    bars, which = bar_points(results, view)
    return Panel(
        f"Per unit for {which}: cycles of work, with the cycles it was held stalled on input (waiting for DRAM "
        "data) and blocked on output (waiting for its next stage) stacked on them, hatched; against the total and "
        "the DRAM-bandwidth bound. The unit with the most work (utilization printed) is the critical path.",
        F.latency_breakdown(bars, results.swept),
    )
