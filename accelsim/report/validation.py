"""The validation report: one page, the paper-vs-accelsim ratio of every row and the full table."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from accelsim import __version__
from accelsim.outputs import write_text
from accelsim.report.html import figure_section, page

COLORS = {"pass": "#2a9d3f", "fail": "#d1495b", "info": "#888888"}


def ratio_figure(table: pd.DataFrame) -> go.Figure:
    """accelsim / paper per compared row (a marker, green within tolerance) on a log axis, with each
    row's tolerance band."""
    t = table[table["ratio"].notna()].iloc[::-1]
    fig = go.Figure(go.Scatter(
        x=t["ratio"], y=t["quantity"], mode="markers",
        marker={"color": [COLORS[s] for s in t["status"]], "size": 12, "symbol": "diamond"},
        customdata=t[["paper", "accelsim", "status"]].to_numpy(),
        hovertemplate="%{y}<br>paper %{customdata[0]:.4g}, accelsim %{customdata[1]:.4g}<br>"
                      "ratio %{x:.3f} (%{customdata[2]})<extra></extra>"))
    for y, tol in zip(t["quantity"], t["tolerance"], strict=True):
        fig.add_shape(type="rect", xref="x", yref="y", x0=1 - tol, x1=1 + tol, y0=y, y1=y,
                      line={"color": "#222", "width": 6}, opacity=0.25)
    fig.add_vline(x=1.0, line_dash="dash", line_color="#222")
    fig.update_layout(xaxis={"type": "log", "title": "accelsim / paper"}, height=max(300, 26 * len(t) + 120),
                      margin={"l": 420, "r": 20, "t": 20, "b": 50}, template="plotly_white")
    return fig


def write_validation_report(table: pd.DataFrame, path: str | Path) -> None:
    """Write the report page for a validation table (``Row.to_dict()`` rows)."""
    counts = table["status"].value_counts()
    meta = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("pass", "fail", "info"))
    cols = ["quantity", "unit", "paper", "accelsim", "ratio", "tolerance", "status", "source", "method", "note"]
    body = [
        "<h1>accelsim validate: the SpAtten paper's numbers</h1>",
        f"<p class='meta'>{html.escape(meta)}; accelsim {__version__}.</p>",
        figure_section("ratio", "accelsim / paper", "Markers: the ratio (green: within tolerance, red: outside); "
                       "grey: the tolerance band; dashed: agreement.", ratio_figure(table)),
        "<h2>Rows</h2>", table[cols].to_html(index=False, border=0, float_format=lambda x: f"{x:.4g}", na_rep="–"),
    ]
    write_text(path, page("accelsim validate", body), "--report")
