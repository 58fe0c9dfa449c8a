"""The report page and its figures, without a browser: which figures a table supports, the page is
self-contained, a 1,000-point sweep stays small, and the figure helpers compute the right things."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from accelsim.report import load_results, render, results_from_table
from accelsim.report.figures import bar_points, energy_group, pareto_mask, roofs, short, si
from accelsim.report.view import choose_view
from accelsim.sweep import pareto_front
from tests.report.conftest import THREE, figure, front_ids, front_traces, shipped, synthetic_sweep

MAX_BYTES = 10 * 2**20


def test_sweep_sections_and_notes(sweep_dir):
    page, names = render(load_results(sweep_dir))
    assert shipped(names) == ["pareto", "parallel", "energy", "latency", "roofline", "quality"]
    assert "16 finished points; swept: policy.name, hw.qk.multipliers" in page
    assert "per-head heatmaps and DRAM timeline: the results hold no per-request tables" in page


def test_page_is_self_contained(sweep_dir):
    page, _ = render(load_results(sweep_dir))
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    specs = re.findall(r"<script type='application/json' id='data-fig-(\w+)'>(.*?)</script>", page, re.S)
    assert shipped([name for name, _ in specs]) == ["pareto", "parallel", "energy", "latency", "roofline", "quality"]
    for _, spec in specs:
        assert json.loads(spec)["data"]


def test_no_quality_no_parallel(sweep_table):
    t = sweep_table[sweep_table["policy.name"] == "dense"].drop(columns=["quality_mass_recall", "quality_out_err"])
    t = t[t["hw.qk.multipliers"] == 512].iloc[:1]
    res = results_from_table(pd.concat([t, t.assign(point_id="other")]), "t")
    page, names = render(res)
    assert shipped(names) == ["pareto", "energy", "latency", "roofline"]
    assert "parallel coordinates: no config column differs between the points" in page
    assert "quality vs cost: no quality proxies" in page
    assert "dashed: the configs&#x27; bandwidth and compute roofs." in page
    page, _ = render(results_from_table(sweep_table.drop(columns=["hw.pv.multipliers"]), "t"))
    assert "dashed: the configs&#x27; bandwidth roofs (compute roofs need the hw.qk.multipliers" in page


def test_failed_points_listed(sweep_table):
    t = sweep_table.copy()
    t.loc[2, ["status", "error"]] = ["error", "key SRAM too small for 1024 tokens"]
    page, _ = render(results_from_table(t, "t"))
    assert "15 finished points, 1 failed" in page and "key SRAM too small for 1024 tokens" in page


def test_thousand_points_under_10_mb(sweep_table):
    big = synthetic_sweep(sweep_table, 1000)
    page, names = render(results_from_table(big, "big"))
    assert len(names) == 6
    size = len(page.encode())
    assert size < MAX_BYTES, size


def declared(table: pd.DataFrame, objectives: dict) -> tuple[str, set[str]]:
    """The report page of ``table`` swept for ``objectives``, and the ids of that front."""
    res = results_from_table(table, "t")
    res.objectives = objectives
    page, _ = render(res)
    return page, set(pareto_front(table, objectives)["point_id"])


def test_three_objectives_scatter_matrix_marks_their_front(sweep_table):
    page, front = declared(sweep_table, THREE)
    assert front != set(pareto_front(sweep_table, {**THREE, "quality_mass_recall": "min"})["point_id"])
    assert front != set(pareto_front(sweep_table, {"cycles": "min", "energy_j": "min"})["point_id"])
    fig = figure(page, "pareto")
    assert len(fig["data"]) == 6  # a panel per pair: all points, then the front
    panels = [(fig["layout"][f"xaxis{i or ''}"]["title"]["text"], fig["layout"][f"yaxis{i or ''}"]["title"]["text"])
              for i in (0, 2, 3)]
    assert panels == [("cycles (min)", "energy_j (min) [µJ]"), ("cycles (min)", "quality_mass_recall (max)"),
                      ("energy_j (min) [µJ]", "quality_mass_recall (max)")]
    fronts = front_traces(fig)
    assert [t["name"] for t in fronts] == ["Pareto front (cycles min, energy_j min, quality_mass_recall max)"] * 3
    assert all(front_ids(t) == front for t in fronts)
    assert "Pareto front of cycles (min), energy_j (min), quality_mass_recall (max)</h2>" in page
    assert "; objectives: cycles (min), energy_j (min), quality_mass_recall (max)." in page
    # the parallel coordinates mark the same front, on the objectives' axes
    par = figure(page, "parallel")
    assert [front_ids(t) for t in front_traces(par)] == [front]
    assert par["layout"]["xaxis"]["ticktext"][-3:] == ["cycles (min)", "energy_j (min)", "quality_mass_recall (max)"]


def test_two_objectives_front_plot_honours_max(sweep_table):
    objectives = {"dram_bytes": "min", "quality_mass_recall": "max"}
    page, front = declared(sweep_table, objectives)
    assert front != set(pareto_front(sweep_table, {"dram_bytes": "min", "quality_mass_recall": "min"})["point_id"])
    fig = figure(page, "pareto")
    (line,) = front_traces(fig)
    assert front_ids(line) == front and line["mode"] == "lines+markers"  # the 2-D front, joined
    assert fig["layout"]["xaxis"]["title"]["text"] == "dram_bytes (min) [MB]"
    assert fig["layout"]["yaxis"]["title"]["text"] == "quality_mass_recall (max)"
    # other axes: the same front, ringed, not joined
    page, _ = render(results_from_table(sweep_table, "t"), view=choose_view(sweep_table, objectives, "area_mm2"))
    (rings,) = front_traces(figure(page, "pareto"))
    assert front_ids(rings) == front and rings["mode"] == "markers"
    assert "Pareto front of dram_bytes (min), quality_mass_recall (max): area_mm2 vs dram_bytes</h2>" in page


def test_pareto_mask_against_brute_force():
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.integers(0, 6, (60, 2)), columns=["a", "b"])
    expect = [not any((o <= r).all() and (o < r).any() for o in df.to_numpy()) for r in df.to_numpy()]
    assert list(pareto_mask(df, ["a", "b"])) == expect


def test_bar_points_keep_small_tables_and_thin_the_front(sweep_table):
    objectives = {"cycles": "min", "energy_j": "min"}
    assert len(bar_points(sweep_table.iloc[:12], objectives)) == 12
    big = synthetic_sweep(sweep_table, 1000)
    sel = bar_points(big, objectives)
    assert len(sel) <= 12 and pareto_mask(big, objectives)[sel.index].all()
    assert sel["cycles"].is_monotonic_increasing
    # a maximised first objective: its front, best (highest) first
    recall = {"quality_mass_recall": "max", "cycles": "min"}
    sel = bar_points(big, recall)
    assert pareto_mask(big, recall)[sel.index].all() and sel["quality_mass_recall"].is_monotonic_decreasing
    assert not pareto_mask(big, {"quality_mass_recall": "min", "cycles": "min"})[sel.index].all()


@pytest.mark.parametrize(("values", "factor", "unit"), [
    ([3.1e-3], 1e3, "mJ"), ([999.0], 1.0, "J"), ([1000.0], 1e-3, "kJ"), ([2e-6, 1e-7], 1e6, "µJ"), ([0.0], 1.0, "J"),
])
def test_si(values, factor, unit):
    assert si(np.array(values), "J") == pytest.approx((factor, unit))


@pytest.mark.parametrize(("component", "group"), [
    ("dram", "DRAM"), ("sram_key", "SRAM"), ("sram_value", "SRAM"), ("topk", "top-k"), ("qk", "compute"),
    ("fetcher", "compute"),
])
def test_energy_group(component, group):
    assert energy_group(component) == group


@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (512, "512"), (0.05, "0.05"), (9999, "9999"), (46130.0, "46.1k"), (1.2e-5, "12µ"), (-3e6, "-3M"),
])
def test_short(value, text):
    assert short(value) == text


def test_roofs_from_results_and_config(sweep_table):
    """Bandwidth roof from the result columns alone (32 GB/s per channel); compute roof from the multipliers."""
    r = roofs(sweep_table)
    assert list(r["bw"]) == list(sweep_table["hw.dram.channels"] * 32.0)
    assert list(r["compute"]) == list(2.0 * (sweep_table["hw.qk.multipliers"] + 512))
    assert list(roofs(sweep_table.drop(columns=["hw.qk.multipliers"])).columns) == ["bw"]
