"""accelsim.report.panels: a figure is one module; the report draws every registered one in order."""

from __future__ import annotations

import re
import sys
from dataclasses import replace

import pytest

import accelsim.report.panels as panels
from accelsim.report import load_results, render
from accelsim.report.panels import FIGURES, in_order, register
from tests.report.conftest import figure

DROPPED = "dropped_figure_of_a_test"
"""The module a test puts in the package's folder (a name no real module has)."""

MODULE = """
import plotly.graph_objects as go

from accelsim.report.panels import Panel, register


@register("dropped_first", "Dropped first", order={first})
def first(results, view):
    return Panel(f"{{len(results.points)}} points", go.Figure(go.Bar(x=["a"], y=[len(results.points)])))


@register("dropped_note", "Dropped note", order={last})
def note(results, view):
    return "dropped note: these results cannot support it"
"""


@pytest.fixture
def dropped(tmp_path, monkeypatch):
    """A figure module in a folder of the package, and the registry made to discover it; both undone after."""
    list(FIGURES)  # the package as shipped, discovered
    orders = [f.order for f in in_order()]
    (tmp_path / f"{DROPPED}.py").write_text(MODULE.format(first=min(orders) - 1, last=max(orders) + 1))
    monkeypatch.setattr(panels, "__path__", [*panels.__path__, str(tmp_path)])
    monkeypatch.setattr(FIGURES, "_items", dict(FIGURES._items))
    monkeypatch.setattr(FIGURES, "_origin", dict(FIGURES._origin))
    monkeypatch.setattr(FIGURES, "_discovered", False)
    yield
    sys.modules.pop(f"{panels.__name__}.{DROPPED}", None)


def test_a_module_dropped_into_the_package_is_drawn_in_its_place(sweep_dir, dropped):
    # shipped: what the page has without the module (read before the registry looks again)
    shipped = [f.name for f in sorted(FIGURES._items.values(), key=lambda f: (f.order, f.name))]
    page, names = render(load_results(sweep_dir))
    assert names[0] == "dropped_first" and "dropped_note" not in names
    assert [n for n in names[1:] if n in shipped] == names[1:]
    assert "<h2>Dropped first</h2><p class='caption'>16 points</p>" in page
    assert figure(page, "dropped_first")["data"][0]["y"] == [16]
    # a note is listed under "Not shown", after the notes of the figures before it
    omitted = re.search(r"<ul class='omitted'>(.*?)</ul>", page).group(1)
    assert omitted.endswith("<li>dropped note: these results cannot support it</li>")


def test_without_the_module_the_page_lacks_it(sweep_dir):
    page, names = render(load_results(sweep_dir))
    assert "dropped_first" not in names and "dropped note" not in page


@pytest.mark.parametrize("name", ["", "Upper", "with-dash", "1st", "fig pareto"])
def test_a_name_that_is_no_element_id_is_refused(name):
    with pytest.raises(
        ValueError,
        match=f"^figure name must be lower-case letters, digits and underscores, not {re.escape(repr(name))}$",
    ):
        register(name, "t", 0)


def test_a_name_taken_by_another_module_is_refused():
    taken = next(iter(FIGURES))
    with pytest.raises(ValueError, match=f"^figure {taken!r} of {__name__} clashes with the one of "):
        register(taken, "t", 0)(lambda results, view: None)


def test_a_failing_plugin_figure_costs_only_itself(sweep_dir, monkeypatch):
    monkeypatch.setattr(FIGURES, "_items", dict(FIGURES._items))
    monkeypatch.setattr(FIGURES, "_origin", dict(FIGURES._origin))

    @register("broken_plugin", "Broken", order=0)
    def broken(results, view):
        return 1 / 0

    page, names = render(load_results(sweep_dir))
    assert "broken_plugin" not in names and names  # the other figures are drawn
    assert (
        f"<li>broken_plugin: the figure of plug-in {__name__} failed (ZeroDivisionError: division by zero)</li>"
        in page
    )


def test_a_failing_shipped_figure_is_a_bug_that_shows(sweep_dir, monkeypatch):
    shipped = next(iter(in_order()))
    monkeypatch.setattr(FIGURES, "_items", {**FIGURES._items, shipped.name: replace(shipped, draw=lambda r, v: 1 / 0)})
    with pytest.raises(ZeroDivisionError):
        render(load_results(sweep_dir))
