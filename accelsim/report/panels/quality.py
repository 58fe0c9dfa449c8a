"""Quality proxies against cost, per policy."""

from __future__ import annotations

from accelsim.report import figures as F
from accelsim.report.panels.base import Panel, config_columns, register
from accelsim.report.results import Results
from accelsim.report.view import View


@register("quality", "Quality vs cost", order=80)
def quality(results: Results, view: View) -> Panel | str:
    p = results.points
    if "quality_mass_recall" not in p.columns or not p["quality_mass_recall"].notna().any():
        return "quality vs cost: no quality proxies (request traces carry none; tensor traces do)"
    return Panel("Quality proxies against full attention, per policy.", F.quality_cost(p, config_columns(results)))
