"""The single-file HTML report: plotly.js inlined, every figure's data embedded, no network at view time.

Each figure is a ``div.plot`` (id ``fig-<name>``) drawn from the JSON in ``script#data-fig-<name>``.
When all are drawn, ``body`` gets ``data-rendered`` (ms since navigation start) and ``data-plotted``
(ms spent drawing). A figure that fails goes to ``console.error`` and sets ``data-failed``; the
others are still drawn.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from accelsim import __version__
from accelsim.outputs import write_text
from accelsim.report import figures as F
from accelsim.report.panels import FIGURES, Panel, in_order
from accelsim.report.results import Results
from accelsim.report.view import View, choose_view
from accelsim.sim.stats import direction

SHIPPED = "accelsim.report.panels."
"""Module prefix of the figures accelsim ships (a plug-in's figure is any other)."""


@dataclass
class Section:
    """One figure of the report."""

    name: str
    """Element id suffix (``fig-<name>``)."""
    title: str
    caption: str
    figure: go.Figure


def default_view(results: Results) -> View:
    """The objectives the results were swept for (else the default ones), with ``choose_view``'s axes."""
    return choose_view(results.points, results.objectives) if len(results.points) > 1 else View()


def sections(results: Results, view: View | None = None) -> tuple[list[Section], list[str]]:
    """The figures these results support, and a note for each one left out: every registered figure
    (``accelsim.report.panels``), in order. ``view`` (default: the objectives the results were swept
    for, ``choose_view``'s axes) decides the trade-off figures."""
    view = view or default_view(results)
    out: list[Section] = []
    omitted: list[str] = []
    for fig in in_order():
        try:
            drawn = fig.draw(results, view)
        except Exception as err:  # a plug-in's bug costs its figure, not the report (ours: a bug to see)
            origin = FIGURES.origin(fig.name)
            if origin.startswith(SHIPPED):
                raise
            drawn = f"{fig.name}: the figure of plug-in {origin} failed ({type(err).__name__}: {err})"
        if isinstance(drawn, Panel):
            out.append(Section(fig.name, drawn.title or fig.title, drawn.caption, drawn.figure))
        elif drawn is not None:
            omitted.append(drawn)
    return out, omitted


def _num(v: float) -> str:
    return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


def summary(results: Results) -> pd.DataFrame:
    """Headline metrics: the one point of a run, or the best point per metric of a sweep."""
    p = results.points
    rows = {
        "cycles": ("cycles", 1),
        "time (ms)": ("seconds", 1e3),
        "throughput (GOP/s)": ("gops", 1),
        "DRAM traffic (MB)": ("dram_bytes", 1e-6),
        "energy (mJ)": ("energy_j", 1e3),
        "power (W)": ("power_w", 1),
        "area (mm²)": ("area_mm2", 1),
        "attention-mass recall": ("quality_mass_recall", 1),
        "DRAM row-buffer hit rate": ("dram_row_hit_rate", 1),
    }
    out = []
    for label, (col, scale) in rows.items():
        if col not in p.columns or p[col].isna().all():
            continue
        i = p[col].idxmin() if direction(col) == "min" else p[col].idxmax()
        row = {"metric": label, "value": _num(p[col][i] * scale)}
        if len(p) > 1:
            row["best point"] = F.config_text(p.loc[[i]], results.swept)[0].replace("<br>", ", ")
        out.append(row)
    return pd.DataFrame(out)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin: 1.8rem 0 0.2rem; }
p.caption, p.meta, ul.omitted { color: #555; font-size: 0.9rem; margin: 0.2rem 0; }
table { border-collapse: collapse; font-size: 0.9rem; } td, th { padding: 0.2rem 0.8rem; text-align: left; }
tr:nth-child(even) { background: #f4f4f4; }
"""

SCRIPT = """
const start = performance.now();
const config = {displaylogo: false, responsive: true};
Promise.all([...document.querySelectorAll("div.plot")].map(div => Promise.resolve().then(() => {
  const spec = JSON.parse(document.getElementById("data-" + div.id).textContent);
  return Plotly.newPlot(div, spec.data, spec.layout, config);
}).catch(err => { console.error(`accelsim report: ${div.id}: ${err}`); throw err; }))).then(() => {
  document.body.dataset.plotted = (performance.now() - start).toFixed(0);
  document.body.dataset.rendered = performance.now().toFixed(0);
}, () => { document.body.dataset.failed = "true"; });
"""


def render(results: Results, title: str | None = None, view: View | None = None) -> tuple[str, list[str]]:
    """The report page, and the names of its figures (``view``: as ``sections``)."""
    p = results.points
    if title is None:
        title = (
            f"accelsim: {p['workload'][0]} on {p['hardware'][0]} ({p['policy'][0]})"
            if len(p) == 1
            else f"accelsim sweep: {len(p)} design points"
        )
    view = view or default_view(results)
    secs, omitted = sections(results, view)
    meta = f"{len(p)} finished point{'s' * (len(p) != 1)}"
    if len(results.failed):
        meta += f", {len(results.failed)} failed"
    if results.swept:
        meta += "; swept: " + ", ".join(results.swept)
    if len(p) > 1:
        meta += "; objectives: " + ", ".join(view.label(o) for o in view.objectives)
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='meta'>{html.escape(meta)}. Source: {html.escape(results.source)}; accelsim {__version__}.</p>",
        summary(results).to_html(index=False, border=0),
    ]
    if len(results.failed):
        cols = [*results.swept, "error"] if "error" in results.failed else results.swept
        body += ["<h2>Failed points</h2>", results.failed[cols].head(20).to_html(index=False, border=0)]
    body += [figure_section(s.name, s.title, s.caption, s.figure) for s in secs]
    fixed = [c for c in results.config_columns if c not in results.varying]
    if fixed:
        table = pd.DataFrame({"field": fixed, "value": [str(p[c].iloc[0]) for c in fixed]})
        body.append(
            f"<details><summary>Configuration shared by all points ({len(fixed)} fields)</summary>"
            f"{table.to_html(index=False, border=0)}</details>"
        )
    if omitted:
        body.append(
            "<h2>Not shown</h2><ul class='omitted'>" + "".join(f"<li>{html.escape(o)}</li>" for o in omitted) + "</ul>"
        )
    return page(title, body), [s.name for s in secs]


def figure_section(name: str, title: str, caption: str, figure: go.Figure) -> str:
    """A titled figure: an empty div that SCRIPT draws from the figure's embedded JSON."""
    spec = figure.to_json().replace("</", "<\\/")
    return (
        f"<section><h2>{html.escape(title)}</h2><p class='caption'>{html.escape(caption)}</p>"
        f"<div class='plot' id='fig-{name}' style='height: {figure.layout.height or 460}px'></div>"
        f"<script type='application/json' id='data-fig-{name}'>{spec}</script></section>"
    )


def page(title: str, body: list[str]) -> str:
    """The single-file page around ``body``: style, plotly.js inlined, the drawing script."""
    return (
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style><script>{get_plotlyjs()}</script></head>\n<body>\n"
        + "\n".join(body)
        + f"\n<script>{SCRIPT}</script>\n</body></html>\n"
    )


def write_report(results: Results, path: str | Path, title: str | None = None, view: View | None = None) -> list[str]:
    """Write the report to ``path``; returns the names of its figures (``view``: as ``sections``)."""
    text, names = render(results, title, view)
    write_text(path, text, "--report")
    return names
