"""DRAM bandwidth over time of one run (its transfer log); the heads figure notes when it is missing."""

from __future__ import annotations

from accelsim.report import figures as F
from accelsim.report.panels.base import Panel, register
from accelsim.report.results import Results
from accelsim.report.view import View


@register("dram", "DRAM bandwidth over time", order=60)
def dram(results: Results, view: View) -> Panel | None:
    if results.dram is None or not len(results.dram):
        return None
    return Panel(
        "Achieved bandwidth by transfer kind, from the event engine's transfer log.",
        F.dram_timeline(results.dram, results.points.iloc[0]),
    )
