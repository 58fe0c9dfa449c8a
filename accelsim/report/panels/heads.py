"""Per layer and head heatmaps of one run (its per-request table)."""

from __future__ import annotations

from accelsim.report import figures as F
from accelsim.report.panels.base import Panel, register
from accelsim.report.results import Results
from accelsim.report.view import View


@register("heads", "Per layer and head", order=50)
def heads(results: Results, view: View) -> Panel | str:
    if results.requests is None or not len(results.requests):
        return (
            "per-head heatmaps and DRAM timeline: the results hold no per-request tables (written by accelsim run "
            "--report for one run)"
        )
    return Panel(
        "Fraction of context tokens (keys) and values fetched, of requests with LSB refetches, and of steps in "
        "which the head was pruned.",
        F.head_heatmaps(results.requests),
    )
