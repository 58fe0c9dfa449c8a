"""Roofline: achieved GOP/s against arithmetic intensity, under the configs' roofs."""

from __future__ import annotations

from accelsim.report import figures as F
from accelsim.report.panels.base import Panel, config_columns, register
from accelsim.report.results import Results
from accelsim.report.view import View


@register("roofline", "Roofline", order=70)
def roofline(results: Results, view: View) -> Panel:
    p = results.points
    roofs = (
        "bandwidth and compute roofs"
        if "compute" in F.roofs(p)
        else "bandwidth roofs (compute roofs need the hw.qk.multipliers and hw.pv.multipliers columns)"
    )
    return Panel(
        f"Achieved GOP/s against ops per DRAM byte; dashed: the configs' {roofs}.",
        F.roofline(p, config_columns(results)),
    )
