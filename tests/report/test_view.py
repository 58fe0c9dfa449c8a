"""Which trade-off figures a report draws: the front plot's axes and colour from the objectives and the
--x/--y/--color options, each column checked."""

from __future__ import annotations

import pytest

from accelsim.errors import InputError
from accelsim.report.view import View, choose_view, colour_column
from tests.report.conftest import THREE


def test_defaults(sweep_table):
    v = choose_view(sweep_table)
    assert v == View({"cycles": "min", "energy_j": "min"}, ("cycles", "energy_j"), "quality_mass_recall")
    assert v.front_name == "Pareto front (cycles min, energy_j min)"
    assert colour_column(sweep_table.drop(columns=["quality_mass_recall"])) == "area_mm2"


@pytest.mark.parametrize(
    ("objectives", "x", "y", "axes"),
    [
        ({"gops": "max"}, None, None, ("gops", "cycles")),  # one objective: against cycles (or energy)
        ({"cycles": "min"}, None, None, ("cycles", "energy_j")),
        ({"quality_mass_recall": "max", "dram_bytes": "min"}, None, None, ("quality_mass_recall", "dram_bytes")),
        (THREE, None, None, None),  # three: a scatter matrix
        (THREE, "area_mm2", "power_w", ("area_mm2", "power_w")),
        (THREE, "area_mm2", None, ("area_mm2", "cycles")),  # the other axis: the first objective not on the first
        (THREE, None, "cycles", ("energy_j", "cycles")),
    ],
)
def test_axes(sweep_table, objectives, x, y, axes):
    v = choose_view(sweep_table, objectives, x, y)
    assert v.axes == axes and v.objectives == objectives


def test_labels_carry_directions(sweep_table):
    v = choose_view(sweep_table, THREE, colour="energy_j")
    assert v.colour == "energy_j"
    assert [v.label(c) for c in ("cycles", "quality_mass_recall", "area_mm2")] == [
        "cycles (min)",
        "quality_mass_recall (max)",
        "area_mm2",
    ]
    assert v.front_name == "Pareto front (cycles min, energy_j min, quality_mass_recall max)"


@pytest.mark.parametrize(
    ("kw", "pattern"),
    [
        ({"x": "latency"}, r"^r: field '--x': no column 'latency' in the results; numeric columns: .*cycles"),
        ({"y": "policy.name"}, r"^r: field '--y': not a numeric column: 'policy\.name' in the results"),
        ({"colour": "nope"}, r"^r: field '--color': no column 'nope'"),
        ({"objectives": {"cycles": "min", "latency": "min"}}, r"^r: field '--objectives': no column 'latency'"),
        ({"x": "cycles", "y": "cycles"}, r"^r: field '--y': x and y are both 'cycles'; choose two columns$"),
    ],
)
def test_bad_columns(sweep_table, kw, pattern):
    with pytest.raises(InputError, match=pattern):
        choose_view(sweep_table, source="r", **kw)
