"""Example report figure ``kv_energy``: energy per fetched KV-cache byte against cycles.

A sparse-attention design saves energy by fetching fewer keys and values; this figure asks what each
byte it still fetches costs, all of the chip's energy counted: a design can fetch fewer bytes and still
spend more on each (a larger top-k engine, more SRAM leaking for longer). One marker per design point,
coloured as the report's other scatter plots; ringed: the points no other point beats in both cycles
and energy per byte. The whole figure is this file, tied to the report by ``@register``.
"""

from __future__ import annotations

import plotly.graph_objects as go

from accelsim.report import figures as F
from accelsim.report.panels import Panel, config_columns, register
from accelsim.report.results import Results
from accelsim.report.view import View

KV_BYTES = ("dram_bytes_by_key", "dram_bytes_by_key_lsb", "dram_bytes_by_value")
"""The results columns of KV-cache bytes fetched from DRAM (keys, their LSB refetches, values)."""
PER_BYTE = "energy_pj_per_kv_byte"


@register("kv_energy", "Energy per fetched KV byte", order=100)
def kv_energy(results: Results, view: View) -> Panel | str:
    p = results.points
    missing = [c for c in KV_BYTES if c not in p.columns]
    if missing:
        return f"energy per fetched KV byte: the results have no {', '.join(missing)} columns"
    kv = p[list(KV_BYTES)].sum(axis=1)
    if not (kv > 0).all():
        return "energy per fetched KV byte: a design point fetched no key or value bytes"
    p = p.assign(**{PER_BYTE: p["energy_j"] / kv * 1e12}, text=F.config_text(p, config_columns(results)))
    best = p[F.pareto_mask(p, {"cycles": "min", PER_BYTE: "min"})]
    fig = go.Figure()
    fig.add_scatter(
        x=p["cycles"],
        y=p[PER_BYTE],
        mode="markers",
        name="design points",
        marker={"size": 8, "color": p[view.colour], "colorscale": "Viridis", "colorbar": {"title": view.colour}},
        text=p["text"],
        hovertemplate="%{x:,.0f} cycles, %{y:.1f} pJ per KV byte<br>%{text}<extra></extra>",
    )
    fig.add_scatter(
        x=best["cycles"],
        y=best[PER_BYTE],
        mode="markers",
        name="fewest cycles and pJ/B",
        marker=F.FRONT_STYLE,
        hoverinfo="skip",
    )
    fig.update_layout(
        template=F.TEMPLATE,
        xaxis_title="cycles",
        yaxis_title="energy per fetched KV byte [pJ/B]",
        margin={"t": 30},
        legend={"orientation": "h", "y": -0.18},
    )
    return Panel(
        f"All energy (DRAM, SRAM, compute, top-k, static) over the key, LSB-refetch and value bytes fetched, "
        f"for {len(p)} design point{'s' * (len(p) != 1)}; colour = {view.colour}; ringed: the points no other "
        "beats in both.",
        fig,
    )
