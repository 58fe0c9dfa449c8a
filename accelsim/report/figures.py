"""Plotly figures of results tables: energy, latency, per-head heatmaps, DRAM timeline, roofline,
Pareto front (a plot, or a scatter matrix of 3+ objectives), parallel coordinates and quality vs cost.
Each function takes DataFrames (and the report's ``View`` of the objectives) only."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.colors as pc
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from accelsim.report.view import View
from accelsim.sim.stats import describe
from accelsim.sweep.pareto import as_objectives, minimised, nondominated

GROUP_COLORS = {"DRAM": "#d62728", "SRAM": "#1f77b4", "compute": "#2ca02c", "top-k": "#9467bd"}
"""Energy groups: components ``dram*``, ``sram*``, ``topk*``; everything else is compute."""
MAX_BARS = 12
"""Design points shown in the per-point bar charts (Pareto points, thinned evenly beyond this)."""
MAX_ROOFS = 6
"""Distinct rooflines drawn; beyond this only the lowest and highest."""
TEMPLATE = "plotly_white"


def energy_group(component: str) -> str:
    """The group an ``energy_by`` component belongs to."""
    for prefix, group in (("dram", "DRAM"), ("sram", "SRAM"), ("topk", "top-k")):
        if component.startswith(prefix):
            return group
    return "compute"


def si(values: pd.Series | np.ndarray | float, unit: str) -> tuple[float, str]:
    """The factor and prefixed unit that put the largest of ``values`` in [1, 1000)."""
    top = float(np.nanmax(np.abs(np.atleast_1d(values)))) if np.size(values) else 0.0
    exp = 0 if top <= 0 or not math.isfinite(top) else math.floor(math.log10(top) / 3)
    exp = min(max(exp, -4), 4)
    prefix = {-4: "p", -3: "n", -2: "µ", -1: "m", 0: "", 1: "k", 2: "M", 3: "G", 4: "T"}[exp]
    return 10.0 ** (-3 * exp), prefix + unit


def short(v: float) -> str:
    """A number in at most 4 significant digits, with an SI prefix outside [0.001, 10000)."""
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:.4g}"
    scale, prefix = si(v, "")
    return f"{v * scale:.3g}{prefix}"


def pareto_mask(df: pd.DataFrame, objectives: Mapping[str, str] | Sequence[str]) -> np.ndarray:
    """True for the points no other point dominates in ``objectives`` (column -> min or max; a list of
    names takes each one's default direction)."""
    return nondominated(minimised(df, as_objectives(objectives)))


def config_text(points: pd.DataFrame, columns: list[str]) -> list[str]:
    """Hover text per point: its config columns, one per line."""
    cols = [[f"{c}={v}" for v in points[c].tolist()] for c in columns]
    return ["<br>".join(parts) for parts in zip(*cols, strict=True)] if cols else [""] * len(points)


def labels(points: pd.DataFrame, swept: list[str]) -> list[str]:
    """Short axis labels: swept values (last path segment), else the hardware name."""
    if not swept:
        return [f"{h} / {w}" for h, w in zip(points["hardware"], points["workload"], strict=True)]
    cols = [[f"{c.rsplit('.', 1)[-1]}={v}" for v in points[c].tolist()] for c in swept]
    return ["<br>".join(parts) for parts in zip(*cols, strict=True)]


def bar_points(points: pd.DataFrame, objectives: Mapping[str, str]) -> pd.DataFrame:
    """The points the bar charts show: all of a small table, else the Pareto front of ``objectives``,
    best first in the first objective."""
    sel = points if len(points) <= MAX_BARS else points[pareto_mask(points, objectives)]
    first, sense = next(iter(objectives.items()))
    sel = sel.sort_values(first, ascending=sense == "min", kind="stable")
    if len(sel) > MAX_BARS:
        sel = sel.iloc[np.linspace(0, len(sel) - 1, MAX_BARS).round().astype(int)]
    return sel


def energy_breakdown(points: pd.DataFrame, swept: list[str]) -> go.Figure:
    """Stacked bars of energy by component, coloured by group (DRAM, SRAM, compute, top-k); the
    hover gives each component's share and, where the table has it, its static (leakage, clock,
    DRAM standby) part."""
    cols = [c for c in points.columns if c.startswith("energy_by_")]
    scale, unit = si(points["energy_j"], "J")
    x = labels(points, swept)
    fig = go.Figure()
    shades: dict[str, int] = {}
    for col in sorted(cols, key=lambda c: list(GROUP_COLORS).index(energy_group(c[10:]))):
        name = col[10:]
        group = energy_group(name)
        shade = shades[group] = shades.get(group, -1) + 1  # cycles past 4 components (plug-in units)
        static = points.get(f"energy_static_by_{name}", pd.Series(np.nan, index=points.index))
        share = np.column_stack([points[col] / points["energy_j"], static / points[col]])
        fig.add_bar(x=x, y=points[col] * scale, name=f"{group}: {name}", legendgroup=group,
                    marker={"color": GROUP_COLORS[group], "opacity": 1.0 - 0.22 * (shade % 4),
                            "line": {"color": "white", "width": 0.5}},
                    customdata=share, hovertemplate=f"{name}: %{{y:.4g}} {unit} (%{{customdata[0]:.1%}} of the "
                    "total, %{customdata[1]:.0%} static)<extra></extra>")
    fig.update_layout(barmode="stack", template=TEMPLATE, yaxis_title=f"energy ({unit})",
                      legend={"title": "component"}, margin={"t": 30})
    return fig


WAITS = {"stall_by_": ("stalled on input", "/"), "blocked_by_": ("blocked on output", "x")}
"""The held-but-not-working parts of a unit's time, stacked on its work: (legend name, hatch)."""


def latency_breakdown(points: pd.DataFrame, swept: list[str]) -> go.Figure:
    """Per unit, its work cycles with the cycles it was held stalled on input and blocked on output
    stacked on them (hatched), beside the total and the DRAM-bandwidth bound; the unit with the most
    work is the critical path (its work utilization is printed on its bar)."""
    units = [c[8:] for c in points.columns if c.startswith("busy_by_")]
    x = labels(points, swept)
    critical = points[[f"busy_by_{u}" for u in units]].to_numpy(float).argmax(axis=1)
    fig = go.Figure()
    fig.add_bar(x=x, y=points["cycles"], name="total cycles", marker={"color": "#444"}, offsetgroup="total",
                hovertemplate="total: %{y:,.0f} cycles<extra></extra>")
    fig.add_bar(x=x, y=points["bandwidth_bound_cycles"], name="DRAM-bandwidth bound", offsetgroup="bound",
                marker={"color": "#bbb", "pattern": {"shape": "/"}},
                hovertemplate="DRAM-bandwidth bound: %{y:,.0f} cycles<extra></extra>")
    for j, unit in enumerate(units):
        colour = pc.qualitative.D3[j % len(pc.qualitative.D3)]
        work = points[f"busy_by_{unit}"].to_numpy(float)
        util = work / points["cycles"].to_numpy(float)
        parts = [("work", work, "", 1.0)]
        for prefix, (name, hatch) in WAITS.items():
            col = f"{prefix}{unit}"
            if col in points and np.nansum(points[col].to_numpy(float)) > 0:
                parts.append((name, np.nan_to_num(points[col].to_numpy(float)), hatch, 0.55))
        base = np.zeros(len(points))
        for k, (name, y, hatch, opacity) in enumerate(parts):
            top = k == len(parts) - 1  # the critical unit's utilization goes on top of its stack
            text = [f"{u:.0%}" if critical[i] == j else "" for i, u in enumerate(util)] if top else None
            fig.add_bar(x=x, y=y, base=base, name=name, offsetgroup=unit, legendgroup=unit,
                        legendgrouptitle_text=unit, text=text, textposition="outside", customdata=y / points["cycles"],
                        marker={"color": colour, "opacity": opacity, "pattern": {"shape": hatch}},
                        hovertemplate=f"{unit} {name}: %{{y:,.0f}} cycles (%{{customdata:.1%}})<extra></extra>")
            base = base + y
    fig.update_layout(barmode="group", template=TEMPLATE, yaxis_title="cycles", margin={"t": 30},
                      legend={"groupclick": "toggleitem"})
    return fig


def head_heatmaps(requests: pd.DataFrame) -> go.Figure:
    """Per layer × head: tokens kept, values kept, LSB refetches, heads pruned (and attention-mass
    recall when known), each a fraction averaged over the steps."""
    r = requests
    steps = r[["prefill", "step"]].drop_duplicates().shape[0]
    g = r.assign(tokens=r["keys"] / r["context"], values_=r["values"] / r["context"],
                 lsb=(r["lsb_keys"] > 0).astype(float)).groupby(["layer", "head"])
    layers = np.arange(int(r["layer"].max()) + 1)
    heads = np.arange(int(r["head"].max()) + 1)
    full = pd.MultiIndex.from_product([layers, heads], names=["layer", "head"])
    panels = {"tokens kept": g["tokens"].mean(), "values kept": g["values_"].mean(),
              "LSB refetches": g["lsb"].mean(),
              "heads pruned": 1.0 - g.size().reindex(full, fill_value=0) / steps}
    if r["mass_recall"].notna().any():
        panels["attention-mass recall"] = g["mass_recall"].mean()
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=list(panels), shared_yaxes=True,
                        horizontal_spacing=0.02)
    for i, (name, s) in enumerate(panels.items(), start=1):
        z = s.reindex(full).to_numpy().reshape(len(layers), len(heads))
        fig.add_heatmap(z=z, x=heads, y=layers, coloraxis="coloraxis", name=name, row=1, col=i,
                        hovertemplate=f"layer %{{y}}, head %{{x}}<br>{name}: %{{z:.1%}}<extra></extra>")
        fig.update_xaxes(title_text="head", row=1, col=i)
    fig.update_yaxes(title_text="layer", autorange="reversed", row=1, col=1)
    fig.update_layout(template=TEMPLATE, coloraxis={"colorscale": "Viridis", "cmin": 0, "cmax": 1,
                                                    "colorbar": {"tickformat": ".0%"}},
                      margin={"t": 40}, height=360 + 12 * len(layers))
    return fig


def dram_timeline(dram: pd.DataFrame, point: pd.Series, bins: int = 400) -> go.Figure:
    """DRAM bandwidth over time by transfer kind (stacked), against the configuration's peak."""
    clock_ghz = point["cycles"] / point["seconds"] / 1e9
    peak = point["dram_bytes"] / point["bandwidth_bound_cycles"] * clock_ghz
    end = float(max(point["cycles"], dram["end"].max()))
    edges = np.linspace(0.0, end, bins + 1)
    width = edges[1] - edges[0]
    fig = go.Figure()
    for kind, d in dram.groupby("kind", sort=False):
        span = np.maximum(d["end"].to_numpy() - d["start"].to_numpy(), 1e-9)
        done = np.clip((edges[:, None] - d["start"].to_numpy()) / span, 0.0, 1.0) @ d["bytes"].to_numpy()
        gbs = np.diff(done) / width * clock_ghz
        fig.add_scatter(x=(edges[:-1] + width / 2), y=gbs, name=str(kind), stackgroup="dram", mode="lines",
                        hovertemplate=f"{kind}: %{{y:.1f}} GB/s at cycle %{{x:,.0f}}<extra></extra>")
    fig.add_hline(y=peak, line={"color": "black", "dash": "dash"}, annotation_text=f"peak {peak:,.0f} GB/s",
                  annotation_position="top left")
    mean = point["dram_bytes"] / point["seconds"] / 1e9
    fig.add_hline(y=mean, line={"color": "#7f7f7f", "dash": "dot"}, annotation_text=f"mean {mean:,.0f} GB/s",
                  annotation_position="bottom right")
    fig.update_layout(template=TEMPLATE, xaxis_title="cycle", yaxis_title="DRAM bandwidth (GB/s)",
                      yaxis_range=[0, peak * 1.15], margin={"t": 30}, legend={"title": "transfer"})
    return fig


def roofs(points: pd.DataFrame) -> pd.DataFrame:
    """Peak GB/s per point (from its DRAM-bandwidth bound) and peak GOP/s when the multiplier counts
    and clock are in the table (2 ops per MAC of the QxK and ProbxV arrays)."""
    clock_ghz = points["cycles"] / points["seconds"] / 1e9
    out = pd.DataFrame({"bw": points["dram_bytes"] / points["bandwidth_bound_cycles"] * clock_ghz})
    mults = ["hw.qk.multipliers", "hw.pv.multipliers"]
    if all(c in points.columns for c in mults):
        out["compute"] = 2.0 * points[mults].sum(axis=1) * clock_ghz
    return out.round(6)


def roofline(points: pd.DataFrame, config: list[str]) -> go.Figure:
    """Achieved GOP/s against arithmetic intensity (ops per DRAM byte), with the roofs."""
    intensity = points["ops"] / points["dram_bytes"]
    roof = roofs(points)
    distinct = roof.drop_duplicates().sort_values(list(roof.columns))
    if len(distinct) > MAX_ROOFS:
        distinct = distinct.iloc[[0, -1]]
    lo = float(intensity.min()) / 4
    hi = float(intensity.max()) * 4
    if "compute" in distinct:
        hi = max(hi, float((distinct["compute"] / distinct["bw"]).max()) * 4)
    xs = np.geomspace(lo, hi, 64)
    fig = go.Figure()
    for _, r in distinct.iterrows():
        top = r.get("compute", np.inf)
        name = f"{r['bw']:,.0f} GB/s" + (f", {top:,.0f} GOP/s" if np.isfinite(top) else "")
        fig.add_scatter(x=xs, y=np.minimum(xs * r["bw"], top), mode="lines", name=f"roof: {name}",
                        line={"dash": "dash", "width": 1.5}, hoverinfo="name")
    fig.add_scatter(x=intensity, y=points["gops"], mode="markers", name="design points",
                    marker={"size": 8, "color": "#1f77b4", "line": {"width": 0.5, "color": "white"}},
                    text=config_text(points, config),
                    hovertemplate="%{x:.2f} ops/B, %{y:,.1f} GOP/s<br>%{text}<extra></extra>")
    fig.update_layout(template=TEMPLATE, xaxis={"type": "log", "title": "arithmetic intensity (ops / DRAM byte)"},
                      yaxis={"type": "log", "title": "achieved GOP/s"}, margin={"t": 30})
    return fig


SCALED = ("J", "s", "B", "W")
"""Units whose axes get an SI prefix (mJ, µs, MB); counts such as cycles stay as they are."""
FRONT_STYLE = {"color": "#d62728", "size": 10, "symbol": "circle-open", "line": {"width": 2}}


def scaled(points: pd.DataFrame, column: str, view: View) -> tuple[pd.Series, str]:
    """``column`` in a readable unit, and its axis title (with the direction of an objective)."""
    unit = (describe(column) or {}).get("unit", "")
    scale = 1.0
    if unit in SCALED:
        scale, unit = si(points[column], unit)
    shown = unit and unit != "1" and not column.startswith(unit)  # no "[cycle]" after cycles
    return points[column] * scale, view.label(column) + (f" [{unit}]" if shown else "")


def _points_trace(points: pd.DataFrame, x: str, y: str, view: View, xv: pd.Series, yv: pd.Series,
                  first: bool) -> go.Scatter:
    """Every point of ``points`` at (xv, yv), coloured by ``view.colour`` (legend and colour bar on the
    ``first`` panel only); hover: values and config."""
    return go.Scatter(x=xv, y=yv, mode="markers", name="design points", legendgroup="points", showlegend=first,
                      marker={"size": 7, "color": points[view.colour], "colorscale": "Viridis", "showscale": first,
                              "colorbar": {"title": view.colour}, "line": {"width": 0.4, "color": "white"}},
                      text=points["text"], customdata=points[view.colour],
                      hovertemplate=(f"{x} %{{x:.4~s}}, {y} %{{y:.4~s}}<br>{view.colour}: %{{customdata:.4~s}}"
                                     "<br>%{text}<extra></extra>"))


def _front_trace(front: pd.DataFrame, x: str, y: str, view: View, xv: pd.Series, yv: pd.Series, joined: bool,
                 legend: bool) -> go.Scatter:
    """The front's points at (xv, yv): red rings, joined in x order when the axes are the two objectives."""
    order = np.argsort(xv.to_numpy(float), kind="stable") if joined else np.arange(len(front))
    return go.Scatter(x=xv.iloc[order], y=yv.iloc[order], mode="lines+markers" if joined else "markers",
                      name=view.front_name, legendgroup="front", showlegend=legend,
                      line={"color": FRONT_STYLE["color"], "width": 2}, marker=FRONT_STYLE,
                      text=front["text"].iloc[order],
                      hovertemplate=f"Pareto: {x} %{{x:.4~s}}, {y} %{{y:.4~s}}<br>%{{text}}<extra></extra>")


def front_plot(points: pd.DataFrame, view: View, config: list[str]) -> go.Figure:
    """``view.axes`` of every point, coloured by ``view.colour``, the front of ``view.objectives`` ringed
    (and joined when the axes are the two objectives)."""
    assert view.axes is not None
    x, y = view.axes
    front = pareto_mask(points, view.objectives)
    points = points.assign(text=config_text(points, config))
    xv, xtitle = scaled(points, x, view)
    yv, ytitle = scaled(points, y, view)
    joined = len(view.objectives) == 2 and set(view.axes) == set(view.objectives)
    fig = go.Figure([_points_trace(points, x, y, view, xv, yv, True),
                     _front_trace(points[front], x, y, view, xv[front], yv[front], joined, True)])
    fig.update_layout(template=TEMPLATE, xaxis_title=xtitle, yaxis_title=ytitle, margin={"t": 30},
                      legend={"orientation": "h", "y": -0.18})
    return fig


def front_matrix(points: pd.DataFrame, view: View, config: list[str]) -> go.Figure:
    """Every pair of ``view.objectives`` (three or more) as a panel of all points, the front of all the
    objectives ringed in each: a point on the front may look dominated in a pair; it wins in another."""
    names = list(view.objectives)
    pairs = list(itertools.combinations(names, 2))
    cols = min(3, len(pairs))
    rows = math.ceil(len(pairs) / cols)
    front = pareto_mask(points, view.objectives)
    points = points.assign(text=config_text(points, config))
    values = {n: scaled(points, n, view) for n in names}
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.08, vertical_spacing=0.14)
    for i, (x, y) in enumerate(pairs):
        r, c = divmod(i, cols)
        (xv, xtitle), (yv, ytitle) = values[x], values[y]
        fig.add_trace(_points_trace(points, x, y, view, xv, yv, i == 0), row=r + 1, col=c + 1)
        fig.add_trace(_front_trace(points[front], x, y, view, xv[front], yv[front], False, i == 0),
                      row=r + 1, col=c + 1)
        fig.update_xaxes(title_text=xtitle, row=r + 1, col=c + 1)
        fig.update_yaxes(title_text=ytitle, row=r + 1, col=c + 1)
    fig.update_layout(template=TEMPLATE, margin={"t": 30}, height=380 * rows,
                      legend={"orientation": "h", "y": -0.18 / rows})
    return fig


def _axis(col: pd.Series) -> tuple[np.ndarray, list[float], list[str]]:
    """A column mapped to [0, 1] (log when positive and spanning 8× or more), with tick positions and labels."""
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        cats = sorted(col.map(str).unique())
        pos = np.linspace(0, 1, len(cats)) if len(cats) > 1 else np.array([0.5])
        return col.map(str).map(dict(zip(cats, pos, strict=True))).to_numpy(float), list(pos), cats
    v = col.to_numpy(float)
    lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
    log = lo > 0 and hi / lo >= 8
    f = np.log10 if log else (lambda a: a)
    span = f(hi) - f(lo)
    norm = (f(v) - f(lo)) / span if span > 0 else np.full(len(v), 0.5)
    uniq = np.unique(v)
    ticks = uniq if len(uniq) <= 8 else (10 ** np.linspace(f(lo), f(hi), 5) if log else np.linspace(lo, hi, 5))
    pos = [float((f(t) - f(lo)) / span) if span > 0 else 0.5 for t in ticks]
    return norm, pos, [short(t) for t in ticks]


def parallel_axes(points: pd.DataFrame, swept: list[str], view: View, bins: int = 6) -> go.Figure:
    """Parallel coordinates in SVG (no WebGL): the swept axes, then the objectives (and the colour
    column); one line per point coloured by its rank in ``view.colour``, the points of the Pareto front
    of ``view.objectives`` in red."""
    names = list(dict.fromkeys([*swept, *view.objectives, view.colour]))
    axes = [_axis(points[c]) for c in names]
    y = np.column_stack([a[0] for a in axes])
    xs = np.arange(len(names), dtype=float)

    def polylines(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of ``y`` as one NaN-separated path."""
        gap = np.full((len(rows), 1), np.nan)
        return (np.hstack([np.tile(xs, (len(rows), 1)), gap]).ravel(), np.hstack([y[rows], gap]).ravel())

    colour = points[view.colour].to_numpy(float)
    nbins = min(bins, len(points))
    which = colour.argsort(kind="stable").argsort() * nbins // len(points)  # equal-count bins by rank
    colours = pc.sample_colorscale("Viridis", list((np.arange(nbins) + 0.5) / nbins))
    fig = go.Figure()
    for b, c in enumerate(colours):
        rows = np.flatnonzero(which == b)
        if len(rows):
            px, py = polylines(rows)
            fig.add_scatter(x=px, y=py, mode="lines", line={"color": c, "width": 1}, opacity=0.45,
                            hoverinfo="skip", showlegend=False)
    front = np.flatnonzero(pareto_mask(points, view.objectives))
    px, py = polylines(front)
    hover = [*swept, "point_id"] if "point_id" in points.columns else swept
    text = np.repeat(config_text(points.iloc[front], hover), len(xs) + 1)
    fig.add_scatter(x=px, y=py, mode="lines+markers", name=view.front_name, text=text,
                    line={"color": "#d62728", "width": 2}, marker={"size": 5},
                    hovertemplate="%{text}<extra>Pareto point</extra>")
    lo, hi = (float(np.nanmin(colour)), float(np.nanmax(colour))) if np.isfinite(colour).any() else (0.0, 1.0)
    fig.add_scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                    marker={"color": [lo, hi], "cmin": lo, "cmax": hi if hi > lo else lo + 1,
                            "colorscale": "Viridis", "showscale": True, "colorbar": {"title": view.colour}})
    shapes = [{"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "yref": "paper",
               "line": {"color": "#888", "width": 1}} for x in xs]
    ticks = [{"x": x, "y": p, "text": t, "showarrow": False, "xanchor": "left", "xshift": 3,
              "font": {"size": 10, "color": "#333"}, "bgcolor": "rgba(255,255,255,0.6)"}
             for x, (_, pos, text) in zip(xs, axes, strict=True) for p, t in zip(pos, text, strict=True)]
    fig.update_layout(template=TEMPLATE, margin={"t": 30}, legend={"orientation": "h", "y": -0.12},
                      shapes=shapes, annotations=ticks,
                      xaxis={"tickvals": xs, "ticktext": [view.label(n) for n in names], "showgrid": False,
                             "zeroline": False,
                             "range": [-0.3, len(xs) - 0.5]},
                      yaxis={"visible": False, "range": [-0.05, 1.05]})
    return fig


def quality_cost(points: pd.DataFrame, config: list[str]) -> go.Figure:
    """Attention-mass recall and relative output error against DRAM bytes, one colour per policy."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["attention-mass recall (higher is better)",
                                                        "relative output error (lower is better)"])
    scale, unit = si(points["dram_bytes"], "B")
    points = points.assign(text=config_text(points, config))
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
    for i, (policy, d) in enumerate(points.groupby("policy", sort=True)):
        for col, metric in enumerate(("quality_mass_recall", "quality_out_err"), start=1):
            fig.add_scatter(x=d["dram_bytes"] * scale, y=d[metric], mode="markers", name=str(policy),
                            legendgroup=str(policy), showlegend=col == 1,
                            marker={"size": 8, "color": palette[i % len(palette)]}, text=d["text"],
                            hovertemplate=f"%{{x:.4g}} {unit}, {metric[8:]} %{{y:.4f}}<br>%{{text}}<extra></extra>",
                            row=1, col=col)
    fig.update_xaxes(title_text=f"DRAM traffic ({unit})")
    fig.update_layout(template=TEMPLATE, legend={"title": "policy"}, margin={"t": 40})
    return fig
