"""Reports opened in headless Chromium: every figure drawn, no JavaScript errors, a screenshot kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelsim.report import load_results, write_report
from accelsim.sweep import pareto_front
from tests.conftest import ROOT, cli
from tests.report.chromium import Chromium, chromium_binary
from tests.report.conftest import THREE, shipped, write_parts

ARTIFACTS = ROOT / "test-artifacts" / "report"

# Per figure div: whether Plotly laid it out, its traces, and the drawn SVG elements (trace groups,
# heatmap images).
DRAWN = """[...document.querySelectorAll("div.plot")].map(d => {
  const svg = d.querySelector("svg.main-svg");
  return {id: d.id, laidOut: !!d._fullLayout, traces: (d.data || []).length,
          drawn: svg ? d.querySelectorAll("svg g.trace, svg image").length : 0,
          width: svg ? svg.getBoundingClientRect().width : 0};
})"""
SPEC_TRACES = """[...document.querySelectorAll("script[type='application/json']")]
  .map(s => JSON.parse(s.textContent).data.length)"""
SETTLED = "document.body && (document.body.dataset.rendered || document.body.dataset.failed)"


@pytest.fixture(scope="module")
def browser():
    binary = chromium_binary()
    if binary is None:
        pytest.fail("chromium not found: scripts/setup.sh installs it (apt-get install chromium)")
    with Chromium(binary) as c:
        yield c


def open_report(browser: Chromium, path: Path) -> int:
    """Load ``path`` and wait until its figures are drawn or one failed; the index of its first event."""
    seen = len(browser.events)
    browser.open(path.resolve().as_uri())
    browser.wait_for(SETTLED, timeout=60)
    return seen


def check_report(browser: Chromium, path: Path, names: list[str], shot: str) -> None:
    """Every figure of ``names`` drawn with all its traces, a clean console, a screenshot artifact."""
    seen = open_report(browser, path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.screenshot(ARTIFACTS / shot)
    assert browser.errors(seen) == []
    assert browser.evaluate("document.body.dataset.rendered")
    assert browser.evaluate("performance.getEntriesByType('resource').map(r => r.name)") == []  # nothing fetched
    figs = browser.evaluate(DRAWN)
    assert shipped([f["id"].removeprefix("fig-") for f in figs]) == names
    assert [f["traces"] for f in figs] == browser.evaluate(SPEC_TRACES)
    for f in figs:
        assert f["laidOut"] and f["width"] > 0 and f["traces"] > 0, f
        assert f["drawn"] >= f["traces"], f
    assert (ARTIFACTS / shot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_report_in_browser(browser, small_trace_file, tmp_path):
    out = tmp_path / "run.html"
    p = cli("run", "-w", small_trace_file, "--report", out)
    assert p.returncode == 0, p.stderr
    assert f"report written to {out}" in p.stdout
    check_report(browser, out, ["energy", "latency", "heads", "dram", "roofline", "quality"], "run.png")


def test_sweep_report_in_browser(browser, sweep_dir, tmp_path):
    out = tmp_path / "sweep.html"
    names = write_report(load_results(sweep_dir), out)
    assert shipped(names) == ["pareto", "parallel", "energy", "latency", "roofline", "quality"]
    check_report(browser, out, names, "sweep.png")


# Per front trace of a figure as drawn: its legend name, the markers drawn, the point ids of their hover texts.
FRONT_DRAWN = """[...document.querySelectorAll("#fig-%s g.trace.scatter")]
  .map(g => ({trace: g.__data__[0].trace, points: g.querySelectorAll("path.point").length,
              text: g.__data__.map(p => p.tx || "").join(" ")}))
  .filter(t => t.trace.name.startsWith("Pareto front"))
  .map(t => ({name: t.trace.name, points: t.points, ids: [...t.text.matchAll(/point_id=(\\w+)/g)].map(m => m[1])}))"""


def test_three_objective_sweep_report_in_browser(browser, sweep_table, tmp_path):
    """A sweep of three objectives, recall maximised: a scatter matrix whose every panel shows that front,
    and parallel coordinates that mark it."""
    swept = write_parts(tmp_path / "three", sweep_table.to_dict("records"), objectives=THREE)
    out = tmp_path / "three.html"
    names = write_report(load_results(swept), out)
    check_report(browser, out, names, "sweep3.png")
    front = sorted(pareto_front(sweep_table, THREE)["point_id"])
    assert front != sorted(pareto_front(sweep_table, {"cycles": "min", "energy_j": "min"})["point_id"])
    name = "Pareto front (cycles min, energy_j min, quality_mass_recall max)"
    panels = browser.evaluate(FRONT_DRAWN % "pareto")
    assert [(p["name"], p["points"], sorted(p["ids"])) for p in panels] == [(name, len(front), front)] * 3
    legend = browser.evaluate('[...document.querySelectorAll("#fig-pareto g.legend text.legendtext")]'
                              '.map(t => t.textContent)')
    assert legend == ["design points", name]
    (par,) = browser.evaluate(FRONT_DRAWN % "parallel")
    assert par["name"] == name and sorted(set(par["ids"])) == front


def test_broken_figure_is_reported(browser, sweep_dir, tmp_path):
    """The checks can fail: a figure whose data cannot be read is a console error, the rest still draw."""
    out = tmp_path / "broken.html"
    write_report(load_results(sweep_dir), out)
    tag = "<script type='application/json' id='data-fig-energy'>"
    out.write_text(out.read_text().replace(tag, tag + "!", 1))
    errors = browser.errors(open_report(browser, out))
    assert len(errors) == 1 and errors[0].startswith("accelsim report: fig-energy: SyntaxError"), errors
    assert browser.evaluate("document.body.dataset.failed") and not browser.evaluate("document.body.dataset.rendered")
    drawn = {f["id"]: f["drawn"] for f in browser.evaluate(DRAWN)}
    assert drawn.pop("fig-energy") == 0 and all(drawn.values()), drawn


def test_validation_report_in_browser(browser, tmp_path):
    import pandas as pd

    from accelsim.report.validation import write_validation_report
    from accelsim.validation import Row

    rows = [Row("a", "DRAM reduction", "x", 10.8, 10.82, 0.15, "paper", "trace arithmetic"),
            Row("b", "area", "mm2", 18.71, 4.16, 0.15, "paper", "table", "no crossbars"),
            Row("c", "roofline", "x", None, 9.4, None, "datasheet", "roofline")]
    out = tmp_path / "validate.html"
    write_validation_report(pd.DataFrame([r.to_dict() for r in rows]), out)
    check_report(browser, out, ["ratio"], "validate.png")
